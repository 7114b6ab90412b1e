using System.IO.Compression;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FhirRisk.Bench.Ingest;

/// <summary>
/// Makes a large Bulk-Data-style NDJSON file from FHIR bundles by writing every entry's resource on one line, copy
/// after copy, until the file reaches a size. Each copy gets fresh ids: the resource id and every reference get the
/// suffix <c>-c&lt;copy&gt;</c>, and <c>urn:uuid:</c> references become <c>Type/id-c&lt;copy&gt;</c> (they only resolve
/// inside their bundle, FHIR R4 §2.36.4), so copies are distinct patients rather than duplicates.
/// </summary>
internal static class NdjsonCorpusMultiplier
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = 256 };

    /// <summary>Writes copies of <paramref name="bundles"/> to <paramref name="output"/> until it holds at least <paramref name="targetBytes"/>.</summary>
    /// <returns>Bytes written, resources written and copies made.</returns>
    public static (long Bytes, long Resources, int Copies) Write(IReadOnlyList<string> bundles, string output, long targetBytes)
    {
        if (bundles.Count == 0)
            throw new ArgumentException("No bundle to copy.", nameof(bundles));
        using var stream = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20);
        long resources = 0;
        var copy = 0;
        while (stream.Position < targetBytes)
        {
            copy++;
            foreach (var bundle in bundles)
            {
                resources += WriteBundle(bundle, stream, $"-c{copy}");
                if (stream.Position >= targetBytes)
                    break;
            }
        }
        return (stream.Position, resources, copy);
    }

    private static long WriteBundle(string path, Stream output, string suffix)
    {
        using var document = JsonDocument.Parse(ReadAll(path), new JsonDocumentOptions { MaxDepth = 256 });
        if (!document.RootElement.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array)
            return 0;
        var fullUrls = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries.EnumerateArray())
        {
            if (entry.TryGetProperty("fullUrl", out var url) && entry.TryGetProperty("resource", out var r)
                && r.TryGetProperty("resourceType", out var type) && r.TryGetProperty("id", out var id))
                fullUrls[url.GetString()!] = $"{type.GetString()}/{id.GetString()}{suffix}";
        }
        long written = 0;
        foreach (var entry in entries.EnumerateArray())
        {
            if (!entry.TryGetProperty("resource", out var resource))
                continue;
            using (var writer = new Utf8JsonWriter(output, WriterOptions))
                WriteValue(writer, resource, isRoot: true, suffix, fullUrls);
            output.WriteByte((byte)'\n');
            written++;
        }
        return written;
    }

    private static void WriteValue(Utf8JsonWriter writer, JsonElement value, bool isRoot, string suffix, Dictionary<string, string> fullUrls)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    if (property.Value.ValueKind == JsonValueKind.String && isRoot && property.Name == "id")
                        writer.WriteStringValue(property.Value.GetString() + suffix);
                    else if (property.Value.ValueKind == JsonValueKind.String && property.Name == "reference")
                        writer.WriteStringValue(Rewrite(property.Value.GetString()!, suffix, fullUrls));
                    else
                        WriteValue(writer, property.Value, isRoot: false, suffix, fullUrls);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                    WriteValue(writer, item, isRoot: false, suffix, fullUrls);
                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    /// <summary>urn:uuid → Type/id of this copy; <c>Type/id</c> → <c>Type/id-cN</c>; contained, conditional and absolute stay.</summary>
    private static string Rewrite(string reference, string suffix, Dictionary<string, string> fullUrls)
    {
        if (fullUrls.TryGetValue(reference, out var mapped))
            return mapped;
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        var relative = slash > 0 && reference.IndexOf('/', slash + 1) < 0 && !reference.Contains('?', StringComparison.Ordinal)
            && !reference.Contains(':', StringComparison.Ordinal);
        return relative ? reference + suffix : reference;
    }

    private static byte[] ReadAll(string path)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
