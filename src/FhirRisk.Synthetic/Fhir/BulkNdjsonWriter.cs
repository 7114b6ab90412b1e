using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FhirRisk.Synthetic.Fhir;

/// <summary>
/// Writes a FHIR Bulk Data export folder (https://hl7.org/fhir/uv/bulkdata/export.html#response---complete-status):
/// one <c>&lt;Type&gt;.ndjson</c> per resource type, one resource per line, and <c>manifest.json</c> naming the files
/// (by relative name, since the folder is not served) with their counts. Each file buffers about 1 MiB before it
/// writes, so memory does not grow with the cohort.
/// </summary>
internal sealed class BulkNdjsonWriter : IDisposable
{
    private const int FlushThreshold = 1 << 20;

    private static readonly JsonWriterOptions s_jsonOptions = new()
    {
        // Displays such as "Piperacillin 4000 MG / tazobactam 500 MG Injection" stay readable; the output is JSON
        // for FHIR readers, never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private readonly string _folder;
    private readonly Dictionary<string, ResourceFile> _files = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>Creates the files of <paramref name="resourceTypes"/> (in manifest order) in <paramref name="folder"/>.</summary>
    public BulkNdjsonWriter(string folder, IEnumerable<string> resourceTypes)
    {
        _folder = folder;
        foreach (var type in resourceTypes)
        {
            _files.Add(type, new ResourceFile(Path.Combine(folder, type + ".ndjson")));
            _order.Add(type);
        }
    }

    /// <summary>Resources written so far, per type, in manifest order.</summary>
    public IReadOnlyList<(string Type, long Count)> Counts => [.. _order.Select(t => (t, _files[t].Count))];

    /// <summary>The JSON writer for the next <paramref name="type"/> resource; call <see cref="End"/> after its root object.</summary>
    public Utf8JsonWriter Begin(string type) => _files[type].Json;

    public void End(string type) => _files[type].EndLine();

    /// <summary>Flushes every file and writes <c>manifest.json</c>.</summary>
    public void Complete(DateTime transactionTime, string request)
    {
        foreach (var file in _files.Values)
            file.Flush();
        using var stream = File.Create(Path.Combine(_folder, "manifest.json"));
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = s_jsonOptions.Encoder });
        json.WriteStartObject();
        json.WriteString("transactionTime", FhirJson.FormatInstant(transactionTime));
        json.WriteString("request", request);
        json.WriteBoolean("requiresAccessToken", false);
        json.WriteStartArray("output");
        foreach (var (type, count) in Counts)
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            json.WriteString("url", type + ".ndjson");
            json.WriteNumber("count", count);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("error");
        json.WriteEndArray();
        json.WriteEndObject();
    }

    public void Dispose()
    {
        foreach (var file in _files.Values)
            file.Dispose();
    }

    private sealed class ResourceFile(string path) : IDisposable
    {
        private readonly FileStream _stream = new(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 1);
        private readonly ArrayBufferWriter<byte> _buffer = new(FlushThreshold * 2);
        private Utf8JsonWriter? _json;

        public long Count { get; private set; }

        public Utf8JsonWriter Json => _json ??= new Utf8JsonWriter(_buffer, s_jsonOptions);

        public void EndLine()
        {
            Json.Flush();
            Json.Reset(_buffer);
            _buffer.GetSpan(1)[0] = (byte)'\n';
            _buffer.Advance(1);
            Count++;
            if (_buffer.WrittenCount >= FlushThreshold)
                Flush();
        }

        public void Flush()
        {
            _stream.Write(_buffer.WrittenSpan);
            _buffer.ResetWrittenCount();
        }

        public void Dispose()
        {
            _json?.Dispose();
            _stream.Dispose();
        }
    }
}
