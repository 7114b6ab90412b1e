using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FhirRisk.Core;
using FhirRisk.Model.Checkpoints.Internal;

namespace FhirRisk.Model.Checkpoints;

/// <summary>
/// Writes a safetensors file: an 8-byte little-endian header length, the UTF-8 JSON header padded with spaces to a
/// multiple of 8, then each tensor's raw little-endian bytes in layout order (see <see cref="SafeTensorsHeaderBuilder"/>).
/// Tensors are added as views of the caller's memory and streamed straight from it, so writing never holds a copy of
/// the file; the same tensors and metadata always give the same bytes.
/// </summary>
/// <example>
/// <code>
/// var file = new SafeTensorsWriter();
/// file.Add("transformer.wte.weight", [vocab, channels], wte);
/// file.Metadata["format"] = "pt";
/// file.WriteTo("model.safetensors");
/// </code>
/// </example>
public sealed class SafeTensorsWriter
{
    private readonly Dictionary<string, TensorSource> _tensors = new(StringComparer.Ordinal);

    public SafeTensorsWriter()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data is little-endian; this writer streams memory as is.");
    }

    /// <summary>The <c>__metadata__</c> map (string to string, as the format requires).</summary>
    public IDictionary<string, string> Metadata { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Adds a tensor. The memory is read when the file is written, not now: keep it unchanged until then.</summary>
    /// <param name="name">Unique key; not <c>__metadata__</c>.</param>
    /// <param name="shape">Dimensions, outermost first; empty for a scalar.</param>
    /// <param name="data">Row-major elements; exactly the product of <paramref name="shape"/> of them.</param>
    public void Add<T>(string name, ReadOnlySpan<long> shape, ReadOnlyMemory<T> data) where T : unmanaged
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "__metadata__")
            throw new ArgumentException("'__metadata__' is reserved by the format for the metadata map.", nameof(name));
        if (_tensors.ContainsKey(name))
            throw new ArgumentException($"A tensor named '{name}' was already added.", nameof(name));
        foreach (var dimension in shape)
            ArgumentOutOfRangeException.ThrowIfNegative(dimension, nameof(shape));
        var dims = shape.ToArray();
        var count = TensorEntry.CountElements(dims);
        if (count != data.Length)
            throw new ArgumentException($"Tensor '{name}' has shape {TensorEntry.FormatShape(dims)} ({count} elements) but {data.Length} elements of data.", nameof(data));
        _tensors.Add(name, new TensorSource<T>(SafeTensorsDTypes.For<T>(), dims, data));
    }

    /// <summary>
    /// Writes the file to a temporary sibling and renames it over <paramref name="path"/> once flushed to disk, then syncs
    /// the folder (<see cref="DurableFiles"/>), so a crash or power loss mid-save leaves the previous file (or none),
    /// never a truncated one.
    /// </summary>
    public void WriteTo(string path) => DurableFiles.Write(path, stream => WriteTo(stream));

    /// <summary>Writes the file to <paramref name="stream"/>; returns the number of bytes written.</summary>
    public long WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var entries = SafeTensorsHeaderBuilder.Layout(_tensors.Select(t => (t.Key, t.Value.DType, (IReadOnlyList<long>)t.Value.Shape)));
        var header = SafeTensorsHeaderBuilder.Build(entries, new SortedDictionary<string, string>(Metadata, StringComparer.Ordinal));

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var entry in entries)
            _tensors[entry.Name].WriteData(stream);
        return 8L + header.Length + (entries.Count == 0 ? 0 : entries[^1].End);
    }

    private abstract class TensorSource(SafeTensorsDType dtype, long[] shape)
    {
        public SafeTensorsDType DType { get; } = dtype;

        public long[] Shape { get; } = shape;

        public abstract void WriteData(Stream stream);
    }

    private sealed class TensorSource<T>(SafeTensorsDType dtype, long[] shape, ReadOnlyMemory<T> data)
        : TensorSource(dtype, shape) where T : unmanaged
    {
        public override void WriteData(Stream stream) => stream.Write(MemoryMarshal.AsBytes(data.Span));
    }
}
