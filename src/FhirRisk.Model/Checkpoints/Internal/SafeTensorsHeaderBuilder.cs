using System.Text.Encodings.Web;
using System.Text.Json;

namespace FhirRisk.Model.Checkpoints.Internal;

/// <summary>
/// Lays tensors out and writes the header JSON. The layout is the reference implementation's: largest element size
/// first, then by name (ordinal), so every tensor starts at a multiple of its element size — with the header padded
/// to a multiple of 8, a memory-mapped reader gets aligned views — and the same tensors always give the same bytes.
/// </summary>
internal static class SafeTensorsHeaderBuilder
{
    /// <summary>The format's header limit (100 MB in the reference implementation).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private static readonly JsonWriterOptions Options = new()
    {
        // Readability of names such as "a+b" in the file; the header is never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Sorts <paramref name="tensors"/> into file order and assigns offsets.</summary>
    public static IReadOnlyList<TensorEntry> Layout(IEnumerable<(string Name, SafeTensorsDType DType, IReadOnlyList<long> Shape)> tensors)
    {
        var ordered = tensors
            .OrderByDescending(t => t.DType.ElementSize())
            .ThenBy(t => t.Name, StringComparer.Ordinal);
        var entries = new List<TensorEntry>();
        var position = 0L;
        foreach (var (name, dtype, shape) in ordered)
        {
            var end = position + TensorEntry.CountElements(shape) * dtype.ElementSize();
            entries.Add(new TensorEntry(name, dtype, shape, position, end));
            position = end;
        }

        return entries;
    }

    /// <summary>
    /// The header bytes, padded with spaces (0x20, which the format allows) to a multiple of 8: <c>__metadata__</c>
    /// first with keys in ordinal order (omitted when empty), then the tensors in file order.
    /// </summary>
    public static byte[] Build(IReadOnlyList<TensorEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, Options))
        {
            writer.WriteStartObject();
            if (metadata.Count > 0)
            {
                writer.WriteStartObject("__metadata__");
                foreach (var key in metadata.Keys.Order(StringComparer.Ordinal))
                    writer.WriteString(key, metadata[key]);
                writer.WriteEndObject();
            }

            foreach (var entry in entries)
                WriteEntry(writer, entry);
            writer.WriteEndObject();
        }

        var length = json.Length;
        var padded = (length + 7) / 8 * 8;
        if (padded > MaxHeaderLength)
            throw new InvalidOperationException($"The safetensors header would be {padded} bytes, over the format's {MaxHeaderLength}-byte limit.");
        var header = new byte[padded];
        json.GetBuffer().AsSpan(0, (int)length).CopyTo(header);
        header.AsSpan((int)length).Fill((byte)' ');
        return header;
    }

    private static void WriteEntry(Utf8JsonWriter writer, TensorEntry entry)
    {
        writer.WriteStartObject(entry.Name);
        writer.WriteString("dtype", entry.DType.ToString());
        writer.WriteStartArray("shape");
        foreach (var dimension in entry.Shape)
            writer.WriteNumberValue(dimension);
        writer.WriteEndArray();
        writer.WriteStartArray("data_offsets");
        writer.WriteNumberValue(entry.Begin);
        writer.WriteNumberValue(entry.End);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
