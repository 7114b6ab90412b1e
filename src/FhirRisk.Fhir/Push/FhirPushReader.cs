using System.Text.Json;
using FhirRisk.Core;

namespace FhirRisk.Fhir.Push;

/// <summary>
/// Reads what a client pushes (<c>POST /fhir</c>, <c>POST /fhir/$import</c>) from memory: a Bundle's type, links and
/// entries (fullUrl, request.method, request.url and the exact bytes of each resource, with its <c>resourceType</c> and
/// <c>id</c>), or NDJSON lines. Only the envelope is read here; each resource is validated by
/// <see cref="FhirResourceParser"/> afterwards. Problems are data: a document that is not usable at all yields an issue
/// and no entries; an unusable entry keeps its place with a <see cref="FhirPushEntry.Problem"/>.
/// </summary>
public static class FhirPushReader
{
    /// <summary>The levels a Bundle's envelope adds above its resources (root, entry array, entry object): a document is read
    /// to <see cref="FhirReaderSettings.MaxDepth"/> plus these, so each resource keeps its own limit.</summary>
    public const int EnvelopeLevels = 3;

    /// <summary>A JSON document: a Bundle (entries in order) or a single resource (one entry without a request).
    /// More than <paramref name="maxEntries"/> entries: reading stops there, and the document has no entries and
    /// <see cref="FhirPushDocument.ExceedsEntryLimit"/> set.</summary>
    public static FhirPushDocument ReadJson(ReadOnlyMemory<byte> json, FhirReaderSettings? settings = null, int maxEntries = int.MaxValue)
    {
        settings ??= FhirReaderSettings.Default;
        json = Utf8Bom.Skip(json);
        var reader = new Utf8JsonReader(json.Span, new JsonReaderOptions { MaxDepth = settings.MaxDepth + EnvelopeLevels });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return Unusable(FhirIssueCodes.ResourceNotObject, "Bundle", "the request body must be a JSON object");
            string? resourceType = null, bundleType = null, id = null;
            FhirPushMeta? meta = null;
            var entries = new List<FhirPushEntry>();
            IReadOnlyList<FhirBundleLink> links = [];
            var entryNotArray = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "resourceType" when reader.TokenType == JsonTokenType.String:
                        resourceType = reader.GetString();
                        break;
                    case "type" when reader.TokenType == JsonTokenType.String:
                        bundleType = reader.GetString();
                        break;
                    case "id" when reader.TokenType == JsonTokenType.String:
                        id = reader.GetString();
                        break;
                    case "entry" when reader.TokenType == JsonTokenType.StartArray:
                        if (!ReadEntries(ref reader, json, entries, maxEntries))
                            return TooManyEntries();
                        break;
                    case "entry":
                        entryNotArray = true;
                        reader.Skip();
                        break;
                    case "link" when reader.TokenType == JsonTokenType.StartArray:
                        links = ReadLinks(ref reader);
                        break;
                    case "meta" when reader.TokenType == JsonTokenType.StartObject:
                        meta = ReadMeta(ref reader);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            if (reader.Read())
                return Unusable(FhirIssueCodes.InvalidJson, "Bundle", "unexpected data after the JSON value");
            if (resourceType is null)
                return Unusable(FhirIssueCodes.MissingResourceType, "Bundle", "no string 'resourceType' property");
            if (resourceType != "Bundle")
                // A single resource is its own entry, its meta as a Bundle entry's (a version orders deliveries).
                return new FhirPushDocument(resourceType, null, [new FhirPushEntry(0, resourceType, resourceType, id, null, null, null, json, null) { Meta = meta }], []);
            // Read as absent, a malformed entry would turn a push into an empty, successful one. The document is still
            // JSON of a Bundle, and says so (its type and links), though none of it is usable.
            if (entryNotArray)
                return new FhirPushDocument(resourceType, bundleType, [],
                    [Issue.Error(FhirIssueCodes.WrongElementType, "Bundle.entry", "Bundle.entry must be an array of entries")]) { Links = links };
            return new FhirPushDocument(resourceType, bundleType, entries, []) { Links = links };
        }
        catch (JsonException e)
        {
            return Unusable(FhirIssueCodes.InvalidJson, "Bundle", $"invalid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}");
        }
        catch (InvalidOperationException)
        {
            return Unusable(FhirIssueCodes.InvalidJson, "Bundle", "a string is not valid UTF-8 text (RFC 8259 §8)");
        }
    }

    /// <summary>NDJSON (Bulk Data "Flat FHIR"): one resource per non-blank line; each line is an entry located <c>line N</c>.
    /// More than <paramref name="maxEntries"/> lines: as <see cref="ReadJson"/>.</summary>
    public static FhirPushDocument ReadNdjson(ReadOnlyMemory<byte> ndjson, FhirReaderSettings? settings = null, int maxEntries = int.MaxValue)
    {
        settings ??= FhirReaderSettings.Default;
        var entries = new List<FhirPushEntry>();
        var span = ndjson.Span;
        var (start, number) = (0, 0);
        while (start <= span.Length)
        {
            var length = span[start..].IndexOf((byte)'\n');
            var end = length < 0 ? span.Length : start + length;
            number++;
            var line = Utf8Bom.Skip(ndjson[start..end]);
            if (line.Span.EndsWith("\r"u8))
                line = line[..^1];
            if (!line.Span.Trim(" \t"u8).IsEmpty)
            {
                if (entries.Count == maxEntries)
                    return TooManyEntries();
                entries.Add(ReadLine(line, entries.Count, number, settings));
            }
            if (length < 0)
                break;
            start = end + 1;
        }
        return new FhirPushDocument(null, null, entries, []);
    }

    private static FhirPushEntry ReadLine(ReadOnlyMemory<byte> line, int index, int number, FhirReaderSettings settings)
    {
        var location = $"line {number}";
        var reader = new Utf8JsonReader(line.Span, new JsonReaderOptions { MaxDepth = settings.MaxDepth });
        try
        {
            reader.Read();
            var (type, id, meta, problem) = ReadHead(ref reader, location);
            if (problem is null && reader.Read())
                problem = Issue.Error(FhirIssueCodes.InvalidJson, location, "unexpected data after the JSON value");
            return new FhirPushEntry(index, location, type, id, null, null, null, line, problem) { Meta = meta };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return new FhirPushEntry(index, location, null, null, null, null, null, line,
                Issue.Error(FhirIssueCodes.InvalidJson, location, "the line is not valid JSON"));
        }
    }

    /// <summary>False, with reading stopped, at an entry past <paramref name="maxEntries"/>.</summary>
    private static bool ReadEntries(ref Utf8JsonReader reader, ReadOnlyMemory<byte> json, List<FhirPushEntry> entries, int maxEntries)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (entries.Count == maxEntries)
                return false;
            var index = entries.Count;
            var location = $"Bundle.entry[{index}]";
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                entries.Add(new FhirPushEntry(index, location, null, null, null, null, null, default,
                    Issue.Error(FhirIssueCodes.ResourceNotObject, location, "a Bundle entry must be a JSON object")));
                continue;
            }
            string? fullUrl = null, method = null, url = null, type = null, id = null;
            FhirPushMeta? meta = null;
            Issue? problem = null;
            ReadOnlyMemory<byte> resource = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == "fullUrl" && reader.TokenType == JsonTokenType.String)
                    fullUrl = reader.GetString();
                else if (name == "request" && reader.TokenType == JsonTokenType.StartObject)
                    (method, url) = ReadRequest(ref reader);
                else if (name == "resource")
                {
                    var start = (int)reader.TokenStartIndex;
                    (type, id, meta, problem) = ReadHead(ref reader, location + ".resource");
                    resource = json[start..(int)reader.BytesConsumed];
                }
                else
                    reader.Skip();
            }
            if (resource.IsEmpty && problem is null)
                problem = Issue.Error(FhirIssueCodes.EntryWithoutResource, location, "entry has no resource");
            entries.Add(new FhirPushEntry(index, location + ".resource", type, id, fullUrl, method, url, resource, problem) { Meta = meta });
        }
        return true;
    }

    /// <summary>
    /// <c>Bundle.link</c> (R4 §2.36 Bundle): each link's <c>relation</c> and <c>url</c> where they are strings. A link that
    /// is not an object, or a string that is not UTF-8 text, is passed over: links are for paging, never stored, and a
    /// push must not fail on them.
    /// </summary>
    public static List<FhirBundleLink> ReadLinks(ref Utf8JsonReader reader)
    {
        var links = new List<FhirBundleLink>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            string? relation = null, url = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isRelation = reader.ValueTextEquals("relation"u8);
                var isUrl = reader.ValueTextEquals("url"u8);
                reader.Read();
                if (isRelation && reader.TokenType == JsonTokenType.String)
                    relation = TextOrNull(ref reader);
                else if (isUrl && reader.TokenType == JsonTokenType.String)
                    url = TextOrNull(ref reader);
                else
                    reader.Skip();
            }
            links.Add(new FhirBundleLink(relation, url));
        }
        return links;
    }

    private static string? TextOrNull(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static (string? Method, string? Url) ReadRequest(ref Utf8JsonReader reader)
    {
        string? method = null, url = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            if (name == "method" && reader.TokenType == JsonTokenType.String)
                method = reader.GetString();
            else if (name == "url" && reader.TokenType == JsonTokenType.String)
                url = reader.GetString();
            else
                reader.Skip();
        }
        return (method, url);
    }

    /// <summary>A resource's top-level <c>resourceType</c>, <c>id</c> and <c>meta</c> version, passing over the rest; the
    /// reader ends on its last token.</summary>
    private static (string? Type, string? Id, FhirPushMeta? Meta, Issue? Problem) ReadHead(ref Utf8JsonReader reader, string location)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return (null, null, null, Issue.Error(FhirIssueCodes.ResourceNotObject, location, "a resource must be a JSON object"));
        }
        string? type = null, id = null;
        FhirPushMeta? meta = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("resourceType"u8);
            var isId = reader.ValueTextEquals("id"u8);
            var isMeta = reader.ValueTextEquals("meta"u8);
            reader.Read();
            if (isType && reader.TokenType == JsonTokenType.String)
                type = reader.GetString();
            else if (isId && reader.TokenType == JsonTokenType.String)
                id = reader.GetString();
            else if (isMeta && reader.TokenType == JsonTokenType.StartObject)
                meta = ReadMeta(ref reader);
            else
                reader.Skip();
        }
        return type is null
            ? (null, id, meta, Issue.Error(FhirIssueCodes.MissingResourceType, location, "no string 'resourceType' property"))
            : (type, id, meta, null);
    }

    /// <summary><c>meta.versionId</c> and <c>meta.lastUpdated</c> as written (R4 §2.36 Meta); the reader ends on the
    /// object's end.</summary>
    private static FhirPushMeta? ReadMeta(ref Utf8JsonReader reader)
    {
        string? versionId = null, lastUpdated = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isVersion = reader.ValueTextEquals("versionId"u8);
            var isUpdated = reader.ValueTextEquals("lastUpdated"u8);
            reader.Read();
            if (isVersion && reader.TokenType == JsonTokenType.String)
                versionId = reader.GetString();
            else if (isUpdated && reader.TokenType == JsonTokenType.String)
                lastUpdated = reader.GetString();
            else
                reader.Skip();
        }
        return versionId is null && lastUpdated is null ? null : new FhirPushMeta(versionId, lastUpdated);
    }

    private static FhirPushDocument TooManyEntries() => new(null, null, [], []) { ExceedsEntryLimit = true };

    private static FhirPushDocument Unusable(string code, string path, string message) =>
        new(null, null, [], [Issue.Error(code, path, message)]);
}

/// <summary>A pushed document: the root's <c>resourceType</c> (null for NDJSON, and for a document that is not JSON text
/// of an object with a string <c>resourceType</c>), a Bundle's <c>type</c>, its entries in order, and issues that make the
/// whole document unusable.</summary>
public sealed record FhirPushDocument(string? ResourceType, string? BundleType, IReadOnlyList<FhirPushEntry> Entries, IReadOnlyList<Issue> Issues)
{
    public bool IsUsable => Issues.Count == 0;

    /// <summary>The document holds more entries than the reader was allowed to read; none were kept.</summary>
    public bool ExceedsEntryLimit { get; init; }

    /// <summary>A Bundle's <c>link</c>s in order (a searchset's <c>next</c> page among them); empty for anything else.</summary>
    public IReadOnlyList<FhirBundleLink> Links { get; init; } = [];
}

/// <summary>One <c>Bundle.link</c>: its <c>relation</c> (<c>self</c>, <c>next</c>, …) and <c>url</c>, as written.</summary>
public sealed record FhirBundleLink(string? Relation, string? Url);

/// <summary>
/// One pushed resource before parsing. <see cref="Location"/> is its instance path (<c>Bundle.entry[3].resource</c>,
/// <c>line 17</c>); <see cref="Method"/> and <see cref="Url"/> come from <c>entry.request</c> (transaction, batch).
/// <see cref="Problem"/> is set when the entry holds no usable resource.
/// </summary>
public sealed record FhirPushEntry(
    int Index,
    string Location,
    string? ResourceType,
    string? Id,
    string? FullUrl,
    string? Method,
    string? Url,
    ReadOnlyMemory<byte> Json,
    Issue? Problem)
{
    /// <summary>The resource's <c>meta.versionId</c> and <c>meta.lastUpdated</c>, when it has either.</summary>
    public FhirPushMeta? Meta { get; init; }
}

/// <summary>A pushed resource's version as its sender wrote it (R4 §2.36 Meta), unparsed: the store orders deliveries by it.</summary>
public sealed record FhirPushMeta(string? VersionId, string? LastUpdated);
