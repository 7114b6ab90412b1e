using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FhirRisk.Model.Checkpoints.Internal;
using Microsoft.Win32.SafeHandles;

namespace FhirRisk.Model.Checkpoints;

/// <summary>
/// Reads a safetensors file one tensor at a time, straight from the file into the caller's span (no intermediate
/// buffer, no copy of the file). <see cref="Open"/> reads and checks only the header — every rule of the format,
/// against the file's actual length — so a bad file fails before any data is touched.
/// </summary>
public sealed class SafeTensorsReader : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly long _dataStart;
    private readonly Dictionary<string, TensorEntry> _byName;

    private SafeTensorsReader(SafeFileHandle file, string path, long dataStart, IReadOnlyList<TensorEntry> entries,
        IReadOnlyDictionary<string, string> metadata)
    {
        _file = file;
        _dataStart = dataStart;
        FilePath = path;
        Tensors = entries;
        Metadata = metadata;
        _byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>The path the reader was opened on; every error names it.</summary>
    public string FilePath { get; }

    /// <summary>The tensors in file (offset) order.</summary>
    public IReadOnlyList<TensorEntry> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens <paramref name="path"/> and validates its header; throws <see cref="CheckpointException"/> if it is bad.</summary>
    public static SafeTensorsReader Open(string path)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data is little-endian; this reader copies bytes as is.");
        if (!File.Exists(path))
            throw new CheckpointException(CheckpointErrorCodes.MissingFile, path,
                "the file does not exist. Hint: check the checkpoint folder; a save writes model.safetensors, config.json and optionally optimizer.safetensors.");

        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            var (dataStart, entries, metadata) = ReadHeader(file, path);
            return new SafeTensorsReader(file, path, dataStart, entries, metadata);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The entry named <paramref name="name"/>, or null.</summary>
    public TensorEntry? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>
    /// Copies tensor <paramref name="name"/> into <paramref name="destination"/>, which must hold exactly its elements;
    /// <typeparamref name="T"/> must match the stored dtype (no silent conversion).
    /// </summary>
    public void Read<T>(string name, Span<T> destination) where T : unmanaged
    {
        var entry = Find(name) ?? throw new CheckpointException(CheckpointErrorCodes.MissingTensor, FilePath,
            "the file has no such tensor. Hint: list the file's tensors (docs/formats/checkpoint.md) and check the name.", name);
        var wanted = SafeTensorsDTypes.For<T>();
        if (entry.DType != wanted)
            throw new CheckpointException(CheckpointErrorCodes.DTypeMismatch, FilePath,
                $"expected dtype {wanted}, found {entry.DType}. Hint: re-save the tensor as {wanted}.", name);
        if (destination.Length != entry.ElementCount)
            throw new CheckpointException(CheckpointErrorCodes.ShapeMismatch, FilePath,
                $"expected {destination.Length} elements, found {entry.ElementCount} (shape {entry.ShapeText}). Hint: the checkpoint was saved from a model of another size; load it with its own config.json.",
                name);
        ReadExactly(MemoryMarshal.AsBytes(destination), _dataStart + entry.Begin, name);
    }

    /// <summary>Tensor <paramref name="name"/> as a new array.</summary>
    public T[] ReadArray<T>(string name) where T : unmanaged
    {
        var entry = Find(name);
        if (entry is not null && entry.ElementCount > Array.MaxLength)
            throw new CheckpointException(CheckpointErrorCodes.ShapeMismatch, FilePath,
                $"{entry.ShapeText} holds {entry.ElementCount} elements, more than one array can ({Array.MaxLength}). Hint: read the tensor in parts with Read.", name);
        var result = new T[entry is null ? 0 : (int)entry.ElementCount];
        Read<T>(name, result);
        return result;
    }

    public void Dispose() => _file.Dispose();

    private static (long DataStart, IReadOnlyList<TensorEntry> Entries, IReadOnlyDictionary<string, string> Metadata) ReadHeader(
        SafeFileHandle file, string path)
    {
        var fileLength = RandomAccess.GetLength(file);
        Span<byte> prefix = stackalloc byte[8];
        if (fileLength < 8 || RandomAccess.Read(file, prefix, 0) < 8)
            throw new CheckpointException(CheckpointErrorCodes.Truncated, path,
                $"the file is {fileLength} bytes, shorter than the 8-byte header length. Hint: the file is truncated or empty; copy it again or resume from an earlier checkpoint.");

        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > SafeTensorsHeaderBuilder.MaxHeaderLength)
            throw new CheckpointException(CheckpointErrorCodes.HeaderTooLarge, path,
                $"the header length field says {headerLength} bytes, over the format's {SafeTensorsHeaderBuilder.MaxHeaderLength}-byte limit. Hint: this is not a safetensors file, or its first 8 bytes are corrupt.");
        if ((long)headerLength > fileLength - 8)
            throw new CheckpointException(CheckpointErrorCodes.Truncated, path,
                $"the header length field says {headerLength} bytes, but only {fileLength - 8} follow it. Hint: the file is truncated (an interrupted save or copy); copy it again or resume from an earlier checkpoint.");

        var header = new byte[headerLength];
        var read = RandomAccess.Read(file, header, 8);
        if (read != header.Length)
            throw new CheckpointException(CheckpointErrorCodes.Truncated, path,
                $"read {read} of {header.Length} header bytes. Hint: the file changed while being read; copy it again.");

        var dataStart = 8 + (long)headerLength;
        var (entries, metadata) = SafeTensorsHeaderParser.Parse(header, fileLength - dataStart, path);
        return (dataStart, entries, metadata);
    }

    private void ReadExactly(Span<byte> destination, long offset, string name)
    {
        while (!destination.IsEmpty)
        {
            var read = RandomAccess.Read(_file, destination, offset);
            if (read == 0)
                throw new CheckpointException(CheckpointErrorCodes.Truncated, FilePath,
                    $"the file ended at byte {offset} inside the tensor. Hint: it was truncated after being opened; copy it again.", name);
            destination = destination[read..];
            offset += read;
        }
    }
}
