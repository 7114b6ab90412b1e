using System.Text.Json;
using System.Text.Unicode;

namespace FhirRisk.Model.Checkpoints.Internal;

/// <summary>
/// Parses and checks a safetensors header against the format's rules before any offset in it is trusted: the JSON is
/// an object starting with <c>{</c>; keys are unique; <c>__metadata__</c> maps strings to strings; every tensor has a
/// known dtype, non-negative dimensions and <c>data_offsets</c> whose length equals elements × element size; and the
/// ranges, sorted, tile the data buffer exactly from 0 to its end — no overlap, no hole, nothing past the end.
/// </summary>
internal static class SafeTensorsHeaderParser
{
    private const string MetadataKey = "__metadata__";

    /// <summary>Entries sorted by offset, and the metadata (empty when absent).</summary>
    public static (IReadOnlyList<TensorEntry> Entries, IReadOnlyDictionary<string, string> Metadata) Parse(
        ReadOnlyMemory<byte> header, long dataLength, string filePath)
    {
        if (header.Length == 0 || header.Span[0] != (byte)'{')
            throw Bad(filePath, $"the header must be a JSON object starting with '{{', found {Describe(header.Span)}.");

        // The JSON reader accepts bytes that are not UTF-8 and fails only when a string is read; refuse them here.
        if (!Utf8.IsValid(header.Span))
            throw new CheckpointException(CheckpointErrorCodes.BadHeader, filePath,
                "the header is not valid UTF-8 JSON (it holds bytes that are not UTF-8). Hint: the file is corrupt or not safetensors; re-save it.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(CheckpointErrorCodes.BadHeader, filePath,
                $"the header is not valid UTF-8 JSON ({e.Message}). Hint: the file is corrupt or not safetensors; re-save it.",
                innerException: e);
        }

        using (document)
        {
            try
            {
                return ReadDocument(document, dataLength, filePath);
            }
            catch (InvalidOperationException e) // an escaped lone surrogate (\uD800) is valid UTF-8 but no string
            {
                throw new CheckpointException(CheckpointErrorCodes.BadHeader, filePath,
                    $"the header holds a string that is not valid Unicode ({e.Message}). Hint: the file is corrupt or not safetensors; re-save it.",
                    innerException: e);
            }
        }
    }

    private static (IReadOnlyList<TensorEntry> Entries, IReadOnlyDictionary<string, string> Metadata) ReadDocument(
        JsonDocument document, long dataLength, string filePath)
    {
        var entries = new List<TensorEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (!seen.Add(property.Name))
                throw Bad(filePath, $"the key '{property.Name}' appears twice; the format forbids duplicate keys.");
            if (property.Name == MetadataKey)
                ReadMetadata(property.Value, metadata, filePath);
            else
                entries.Add(ReadEntry(property.Name, property.Value, dataLength, filePath));
        }

        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        CheckTiling(entries, dataLength, filePath);
        return (entries, metadata);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string filePath)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(filePath, $"'{MetadataKey}' must be an object of strings, found {value.ValueKind}.");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Bad(filePath, $"'{MetadataKey}.{item.Name}' must be a string, found {item.Value.ValueKind}.");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Bad(filePath, $"the key '{MetadataKey}.{item.Name}' appears twice; the format forbids duplicate keys.");
        }
    }

    private static TensorEntry ReadEntry(string name, JsonElement value, long dataLength, string filePath)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(filePath, $"expected an object {{dtype, shape, data_offsets}}, found {value.ValueKind}.", name);

        string? dtypeText = null;
        long[]? shape = null, offsets = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype" when dtypeText is null && field.Value.ValueKind == JsonValueKind.String:
                    dtypeText = field.Value.GetString();
                    break;
                case "shape" when shape is null:
                    shape = ReadNaturals(field.Value, "shape", name, filePath);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadNaturals(field.Value, "data_offsets", name, filePath);
                    break;
                default:
                    throw Bad(filePath, $"unexpected or repeated field '{field.Name}' ({field.Value.ValueKind}); expected exactly dtype (string), shape and data_offsets.", name);
            }
        }

        if (dtypeText is null || shape is null || offsets is null)
            throw Bad(filePath, "the entry needs all of dtype, shape and data_offsets.", name);
        if (!SafeTensorsDTypes.TryParse(dtypeText, out var dtype))
            throw new CheckpointException(CheckpointErrorCodes.UnsupportedDType, filePath,
                $"dtype '{dtypeText}' is not supported (this build reads F32, F64, I32, I64). Hint: convert the tensor with .float() before saving.",
                name);
        if (offsets.Length != 2 || offsets[0] > offsets[1])
            throw new CheckpointException(CheckpointErrorCodes.BadOffsets, filePath,
                $"data_offsets must be [begin, end] with begin ≤ end, found {TensorEntry.FormatShape(offsets)}. Hint: the header is corrupt; re-save the file.",
                name);

        var entry = new TensorEntry(name, dtype, shape, offsets[0], offsets[1]);
        CheckLength(entry, dataLength, filePath);
        return entry;
    }

    private static void CheckLength(TensorEntry entry, long dataLength, string filePath)
    {
        long expected;
        try
        {
            expected = checked(entry.ElementCount * entry.DType.ElementSize());
        }
        catch (OverflowException)
        {
            throw new CheckpointException(CheckpointErrorCodes.BadHeader, filePath,
                $"shape {entry.ShapeText} overflows a 64-bit byte count. Hint: the header is corrupt; re-save the file.", entry.Name);
        }

        if (entry.ByteLength != expected)
            throw new CheckpointException(CheckpointErrorCodes.BadOffsets, filePath,
                $"{entry.DType} {entry.ShapeText} needs {expected} bytes, but data_offsets [{entry.Begin}, {entry.End}] span {entry.ByteLength}. Hint: the header lies about this tensor; re-save the file.",
                entry.Name);
        if (entry.End > dataLength)
            throw new CheckpointException(CheckpointErrorCodes.Truncated, filePath,
                $"the tensor ends at data byte {entry.End}, but the file holds only {dataLength} data bytes. Hint: the file is truncated (an interrupted save or copy); copy it again or resume from an earlier checkpoint.",
                entry.Name);
    }

    // The format: "The byte buffer needs to be entirely indexed, and cannot contain holes" (no polyglot files).
    private static void CheckTiling(List<TensorEntry> entries, long dataLength, string filePath)
    {
        var position = 0L;
        TensorEntry? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < position)
                throw new CheckpointException(CheckpointErrorCodes.BadOffsets, filePath,
                    $"data_offsets [{entry.Begin}, {entry.End}] overlap '{previous!.Name}' [{previous.Begin}, {previous.End}]. Hint: the header is corrupt; re-save the file.",
                    entry.Name);
            if (entry.Begin > position)
                throw new CheckpointException(CheckpointErrorCodes.BadOffsets, filePath,
                    $"data bytes [{position}, {entry.Begin}) before this tensor belong to no tensor; the format forbids holes. Hint: the header is corrupt; re-save the file.",
                    entry.Name);
            position = entry.End;
            previous = entry;
        }

        if (position != dataLength)
            throw new CheckpointException(CheckpointErrorCodes.BadOffsets, filePath,
                $"the tensors cover {position} data bytes but the file holds {dataLength}; the format forbids trailing bytes. Hint: the file was appended to or its header is wrong; re-save it.");
    }

    private static long[] ReadNaturals(JsonElement value, string field, string name, string filePath)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw Bad(filePath, $"'{field}' must be an array of non-negative integers, found {value.ValueKind}.", name);
        var result = new long[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var number) || number < 0)
                throw Bad(filePath, $"'{field}' must be an array of non-negative integers, found {item.GetRawText()} at index {i}.", name);
            result[i++] = number;
        }

        return result;
    }

    private static string Describe(ReadOnlySpan<byte> header) =>
        header.IsEmpty ? "an empty header" : $"byte 0x{header[0]:X2}";

    private static CheckpointException Bad(string filePath, string problem, string? tensor = null) =>
        new(CheckpointErrorCodes.BadHeader, filePath, $"{problem} Hint: the file is corrupt or not safetensors; re-save it.", tensor);
}
