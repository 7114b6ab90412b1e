using System.Text.Json;

namespace FhirRisk.Fhir.Reading;

internal enum ScanStatus
{
    Ok,
    InvalidJson,
    NotObject,
    MissingResourceType,
}

/// <summary>What a top-level scan of one resource found: its <c>resourceType</c> or why there is none, and who it is.</summary>
internal readonly record struct ResourceHead(ScanStatus Status, string? ResourceType, string? Error)
{
    /// <summary>Its top-level <c>id</c> and <c>meta</c>, when it has an id (<see cref="ResourceIdentity"/>).</summary>
    public ResourceIdentity? Identity { get; init; }
}

/// <summary>
/// One <c>Bundle.entry[i]</c>: the byte range of its resource (Length 0 when absent), the resource's head, read during
/// the same scan so that no entry is tokenized twice before parsing, and where its fullUrl's JSON string token lies
/// (quotes included; <see cref="UrlLength"/> 0 when absent). The fullUrl is read only for the entries a caller wants
/// (<see cref="ReadFullUrl"/>), and a remembered layout holds no strings (<see cref="FhirDocumentLayouts"/>).
/// </summary>
internal readonly record struct BundleEntrySlice(int Index, int Start, int Length, ResourceHead Head, int UrlStart = 0, int UrlLength = 0)
{
    /// <summary>The fullUrl, from the document this slice was scanned in (its UTF-8 was checked by the scan).</summary>
    public string? ReadFullUrl(ReadOnlySpan<byte> document)
    {
        if (UrlLength == 0)
            return null;
        var reader = new Utf8JsonReader(document.Slice(UrlStart, UrlLength));
        return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
    }
}

/// <summary>A JSON document's root: its head, and for a Bundle its type and entries.</summary>
internal sealed record DocumentScan(ResourceHead Head, string? BundleType, IReadOnlyList<BundleEntrySlice> Entries);

/// <summary>
/// Finds resource boundaries with <see cref="Utf8JsonReader"/> without building a DOM: a resource's own
/// <c>resourceType</c> (which may be its LAST property, as in the MIMIC files) and a Bundle's entry slices. Nesting is not
/// limited here (the reader's depth stack is a bit per level); the parser applies <see cref="FhirReaderSettings.MaxDepth"/>,
/// so a too-deep resource is reported as such rather than as invalid JSON.
/// </summary>
internal static class ResourceJsonScanner
{
    internal const int ScanMaxDepth = 1 << 24;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = ScanMaxDepth };

    public static ResourceHead ReadHead(ReadOnlySpan<byte> json) => Scan(json, collectEntries: false).Head;

    public static DocumentScan Scan(ReadOnlySpan<byte> json, bool collectEntries)
    {
        var reader = new Utf8JsonReader(json, Options);
        try
        {
            if (!reader.Read())
                return Failed(ScanStatus.InvalidJson, "no JSON value");
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var token = reader.TokenType;
                reader.Skip();
                return EnsureEnd(ref reader) ?? new DocumentScan(NotObject(token), null, []);
            }
            string? resourceType = null, bundleType = null;
            var entries = new List<BundleEntrySlice>();
            var identity = new IdentityReader();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                var isResourceType = name.SequenceEqual("resourceType"u8);
                var isType = name.SequenceEqual("type"u8);
                var isEntry = collectEntries && name.SequenceEqual("entry"u8);
                var property = IdentityReader.PropertyOf(ref reader);
                reader.Read();
                if (isResourceType && reader.TokenType == JsonTokenType.String)
                    resourceType = reader.GetString();
                else if (isType && reader.TokenType == JsonTokenType.String)
                    bundleType = reader.GetString();
                else if (isEntry && reader.TokenType == JsonTokenType.StartArray)
                    ReadEntries(ref reader, entries, json);
                else if (!identity.TryRead(property, ref reader))
                    reader.Skip();
            }
            if (EnsureEnd(ref reader) is { } trailing)
                return trailing;
            var head = HeadOf(resourceType) with { Identity = identity.IdentityOf(resourceType, json) };
            return new DocumentScan(head, resourceType == "Bundle" ? bundleType : null, resourceType == "Bundle" ? entries : []);
        }
        catch (JsonException e)
        {
            return Failed(ScanStatus.InvalidJson, e.Message);
        }
        catch (InvalidOperationException e)
        {
            // A string read here (resourceType, fullUrl, Bundle.type) holds invalid UTF-8 or an unpaired surrogate escape.
            return Failed(ScanStatus.InvalidJson, $"a string is not valid UTF-8 text: {e.Message}");
        }
    }

    private static void ReadEntries(ref Utf8JsonReader reader, List<BundleEntrySlice> entries, ReadOnlySpan<byte> document)
    {
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                entries.Add(new BundleEntrySlice(index++, 0, 0, default));
                continue;
            }
            int start = 0, length = 0, urlStart = 0, urlLength = 0;
            ResourceHead head = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isFullUrl = reader.ValueTextEquals("fullUrl"u8);
                var isResource = reader.ValueTextEquals("resource"u8);
                reader.Read();
                if (isFullUrl && reader.TokenType == JsonTokenType.String)
                {
                    EnsureText(ref reader);
                    urlStart = (int)reader.TokenStartIndex;
                    urlLength = (int)reader.BytesConsumed - urlStart;
                }
                else if (isResource)
                {
                    start = (int)reader.TokenStartIndex;
                    head = ReadEntryHead(ref reader, document);
                    length = (int)reader.BytesConsumed - start;
                }
                else
                {
                    reader.Skip();
                }
            }
            entries.Add(new BundleEntrySlice(index++, start, length, head, urlStart, urlLength));
        }
    }

    /// <summary>
    /// The head of an entry's resource, read while passing over it (the document scan has already checked its syntax):
    /// top-level properties are visited and their values skipped, as <see cref="ReadHead"/> would on the slice.
    /// </summary>
    private static ResourceHead ReadEntryHead(ref Utf8JsonReader reader, ReadOnlySpan<byte> document)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var token = reader.TokenType;
            reader.Skip();
            return NotObject(token);
        }
        string? resourceType = null;
        var identity = new IdentityReader();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isResourceType = reader.ValueTextEquals("resourceType"u8);
            var property = IdentityReader.PropertyOf(ref reader);
            reader.Read();
            if (isResourceType && reader.TokenType == JsonTokenType.String)
                resourceType = ResourceTypeName(ref reader);
            else if (!identity.TryRead(property, ref reader))
                reader.Skip();
        }
        return HeadOf(resourceType) with { Identity = identity.IdentityOf(resourceType, document) };
    }

    /// <summary>
    /// A bundle repeats a handful of type names thousands of times: known names are shared strings, not one new string
    /// per entry (the layouts of a whole run may be remembered, <see cref="FhirDocumentLayouts"/>).
    /// </summary>
    private static string ResourceTypeName(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            var name = reader.ValueSpan;
            foreach (var (utf8, text) in KnownTypeNames)
            {
                if (name.SequenceEqual(utf8))
                    return text;
            }
        }
        return reader.GetString()!;
    }

    private static readonly (byte[] Utf8, string Text)[] KnownTypeNames =
        [.. FhirResourceTypeNames.Common.Select(n => (System.Text.Encoding.UTF8.GetBytes(n), n))];

    /// <summary>
    /// A string read later must decode then: invalid UTF-8 (or, escaped, an unpaired surrogate) makes the document
    /// invalid now, as reading the string here would have (<see cref="InvalidOperationException"/>, caught by the scan).
    /// </summary>
    private static void EnsureText(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped)
            _ = reader.GetString();
        else if (!System.Text.Unicode.Utf8.IsValid(reader.ValueSpan))
            throw new InvalidOperationException("Cannot transcode invalid UTF-8 JSON text to UTF-16 string.");
    }

    private static ResourceHead HeadOf(string? resourceType) => resourceType is null
        ? new ResourceHead(ScanStatus.MissingResourceType, null, "no string 'resourceType' property")
        : new ResourceHead(ScanStatus.Ok, resourceType, null);

    private static ResourceHead NotObject(JsonTokenType token) =>
        new(ScanStatus.NotObject, null, $"a resource must be a JSON object, not {token}");

    // Anything after the root value (a second object on one NDJSON line, stray text) makes the input invalid.
    private static DocumentScan? EnsureEnd(ref Utf8JsonReader reader) =>
        reader.Read() ? Failed(ScanStatus.InvalidJson, "unexpected data after the JSON value") : null;

    private static DocumentScan Failed(ScanStatus status, string error) => new(new ResourceHead(status, null, error), null, []);
}
