using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Fhir;

namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Keeps what could not be ingested (issue 3: "nothing lost"): one NDJSON file per input file name,
/// <c>&lt;out&gt;/quarantine/&lt;input-file-name&gt;.ndjson</c>, one line per rejected resource:
/// <c>{"source": file, "location": instance path, "issues": [{severity, code, expression, diagnostics}], "resource": raw}</c>.
/// The issue objects follow FHIR R4 <c>OperationOutcome.issue</c> (severity, our stable code, FHIRPath-like expression,
/// diagnostics). The raw resource is re-serialized on one line when it is valid JSON (bundles are pretty-printed), else
/// embedded as a JSON string, so a re-run after a fix can read every line back.
/// </summary>
public sealed class FhirQuarantineWriter : IFhirQuarantine, IDisposable
{
    /// <summary>Deeper resources cannot be ingested anyway (FhirReaderSettings.MaxDepth); the line adds one level.</summary>
    private const int MaxEmbeddedDepth = 63;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = MaxEmbeddedDepth + 1,
    };

    private readonly string _folder;
    private readonly Dictionary<string, Stream> _files = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public FhirQuarantineWriter(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        _folder = folder;
    }

    /// <summary>Resources quarantined so far.</summary>
    public long Count { get; private set; }

    /// <summary>The quarantine files written, ordinal by name.</summary>
    public IReadOnlyList<string> Files
    {
        get
        {
            lock (_gate)
                return _files.Keys.Order(StringComparer.Ordinal).Select(name => Path.Combine(_folder, name)).ToArray();
        }
    }

    public void Quarantine(string sourceFile, string location, ReadOnlySpan<byte> raw, IReadOnlyList<Issue> issues)
    {
        ArgumentNullException.ThrowIfNull(sourceFile);
        ArgumentNullException.ThrowIfNull(issues);
        lock (_gate)
        {
            var stream = FileFor(sourceFile);
            using (var writer = BeginRecord(stream, sourceFile, location, issues))
            {
                WriteResource(writer, raw);
                writer.WriteEndObject();
            }
            EndRecord(stream);
        }
    }

    /// <summary>
    /// An input too large to hold (an NDJSON line over the reader's size limit) is copied whole, in 64 KiB chunks, as a
    /// JSON string: it cannot be checked as JSON without holding it, and keeping every byte matters more than its shape.
    /// </summary>
    public void QuarantineStream(string sourceFile, string location, Stream raw, IReadOnlyList<Issue> issues)
    {
        ArgumentNullException.ThrowIfNull(sourceFile);
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(issues);
        lock (_gate)
        {
            var stream = FileFor(sourceFile);
            using (var writer = BeginRecord(stream, sourceFile, location, issues))
            {
                WriteStringInChunks(writer, raw);
                writer.WriteEndObject();
            }
            EndRecord(stream);
        }
    }

    /// <summary>Starts one quarantine line: <c>{"source", "location", "issues", "resource":</c> — the caller writes the resource and closes it.</summary>
    private static Utf8JsonWriter BeginRecord(Stream stream, string sourceFile, string location, IReadOnlyList<Issue> issues)
    {
        var writer = new Utf8JsonWriter(stream, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("source", sourceFile);
        writer.WriteString("location", location);
        WriteIssues(writer, issues);
        writer.WritePropertyName("resource");
        return writer;
    }

    private void EndRecord(Stream stream)
    {
        stream.WriteByte((byte)'\n');
        Count++;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var stream in _files.Values)
                stream.Dispose();
            _files.Clear();
        }
    }

    private Stream FileFor(string sourceFile)
    {
        var name = Path.GetFileName(sourceFile) + ".ndjson";
        if (_files.TryGetValue(name, out var open))
            return open;
        // The raw lines of patients' resources: owner-only, like the input (docs/formats/fhir-ingestion.md).
        OwnerOnlyFiles.CreateFolder(_folder);
        var stream = new FileStream(Path.Combine(_folder, name), OwnerOnlyFiles.Options(FileMode.Create, bufferSize: 1 << 16));
        _files.Add(name, stream);
        return stream;
    }

    private static void WriteIssues(Utf8JsonWriter writer, IReadOnlyList<Issue> issues)
    {
        writer.WriteStartArray("issues");
        foreach (var issue in issues)
        {
            writer.WriteStartObject();
            writer.WriteString("severity", issue.Severity switch
            {
                IssueSeverity.Error => "error",
                IssueSeverity.Warning => "warning",
                _ => "information",
            });
            writer.WriteString("code", issue.Code);
            writer.WriteStartArray("expression");
            writer.WriteStringValue(issue.Path);
            writer.WriteEndArray();
            writer.WriteString("diagnostics", issue.Message);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WriteResource(Utf8JsonWriter writer, ReadOnlySpan<byte> raw)
    {
        if (TryParse(raw) is { } document)
        {
            using (document)
                document.WriteTo(writer);
            return;
        }
        // Not JSON (or too deep): keep the bytes as a string; invalid UTF-8 becomes U+FFFD rather than failing.
        writer.WriteStringValue(Encoding.UTF8.GetString(raw));
    }

    /// <summary>Decodes chunk by chunk (a UTF-8 sequence may straddle two chunks) and flushes after each, so memory stays flat.</summary>
    private static void WriteStringInChunks(Utf8JsonWriter writer, Stream raw)
    {
        const int ChunkBytes = 64 << 10;
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[ChunkBytes];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(ChunkBytes)];
        int read;
        while ((read = raw.Read(bytes)) > 0)
        {
            var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: false);
            writer.WriteStringValueSegment(chars.AsSpan(0, count), isFinalSegment: false);
            writer.Flush();
        }
        var last = decoder.GetChars(bytes, 0, 0, chars, 0, flush: true);
        writer.WriteStringValueSegment(chars.AsSpan(0, last), isFinalSegment: true);
    }

    private static JsonDocument? TryParse(ReadOnlySpan<byte> raw)
    {
        try
        {
            var reader = new Utf8JsonReader(raw, new JsonReaderOptions { MaxDepth = MaxEmbeddedDepth });
            if (!JsonDocument.TryParseValue(ref reader, out var document))
                return null;
            if (reader.BytesConsumed == SkipTrailingWhitespace(raw))
                return document;
            document.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Length of <paramref name="raw"/> without trailing JSON whitespace: the value must span all of it.</summary>
    private static long SkipTrailingWhitespace(ReadOnlySpan<byte> raw) => raw.TrimEnd(" \t\r\n"u8).Length;
}
