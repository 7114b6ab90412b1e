using System.Text.Json;
using System.Text.Json.Serialization;
using FhirRisk.Fhir.Push;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// One value of a hook call's <c>prefetch</c>, as the body holds it: where its bytes lie in the body, its JSON kind, and
/// the few members <see cref="PrefetchGatherer"/> decides by — <c>resourceType</c>, <c>id</c>, and each entry's resource
/// type for a Bundle — taken as <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/> takes them (the last of
/// a repeated member counts). Read while the body is deserialized (<see cref="PrefetchValueConverter"/>), in the same
/// pass, without building a document of the value: the value's one parse is the FHIR reader's
/// (<see cref="Patients.SuppliedFhirDocument"/>), on its bytes exactly as sent (<see cref="Json"/>).
/// </summary>
[JsonConverter(typeof(PrefetchValueConverter))]
internal sealed class PrefetchValue(int start, int length, JsonValueKind kind, string? resourceType, string? id, IReadOnlyList<string?>? entryTypes,
    BundleLinks links = default)
{
    /// <summary>The value's JSON kind (a null value is a null <see cref="PrefetchValue"/>).</summary>
    public JsonValueKind Kind { get; } = kind;

    /// <summary>An object's <c>resourceType</c> when it is a string; null otherwise.</summary>
    public string? ResourceType { get; } = resourceType;

    /// <summary>An object's <c>id</c> when it is a string; null otherwise.</summary>
    public string? Id { get; } = id;

    /// <summary>For an object whose <c>entry</c> is an array: each entry's <c>resource.resourceType</c> (null where the
    /// entry is not an object, has no object <c>resource</c>, or its resource no string type); null otherwise. An
    /// OperationOutcome whose issues are all of severity <c>information</c> is left out: it says nothing is missing (a
    /// server's note on how it ran the search), where one with a fatal, error or warning issue, or none, stays.</summary>
    public IReadOnlyList<string?>? EntryTypes { get; } = entryTypes;

    /// <summary>An object's <c>type</c> when it is a string (a Bundle's: <c>searchset</c>, <c>collection</c> …); null
    /// otherwise.</summary>
    public string? BundleType { get; } = links.Type;

    /// <summary>The <c>url</c> of the object's <c>link</c> of relation <c>self</c> (a search Bundle's: the search that
    /// made it); null when it has none.</summary>
    public string? SelfLink { get; } = links.Self;

    /// <summary>Whether the object has a <c>link</c> of relation <c>next</c>: a search Bundle with more pages.</summary>
    public bool HasNextPage { get; } = links.HasNext;

    /// <summary>Whether a Bundle says its result is partial: a <c>next</c> page, or an entry that is an OperationOutcome
    /// (search mode <c>outcome</c>: CDS Hooks 2.0 "Prefetch": errors "SHOULD be conveyed as OperationOutcome(s) in the
    /// prefetch value").</summary>
    public bool IsPartial => HasNextPage || (EntryTypes?.Contains("OperationOutcome") ?? false);

    /// <summary>The value's bytes, a slice of the body (<see cref="Locate"/>), comments inside it included, as sent.</summary>
    public ReadOnlyMemory<byte> Json { get; private set; }

    /// <summary>Takes the value's bytes from <paramref name="body"/>, the UTF-8 text it was deserialized from.</summary>
    public void Locate(ReadOnlyMemory<byte> body) => Json = body.Slice(start, length);
}

/// <summary>
/// Reads a <see cref="PrefetchValue"/>: records where the value starts and ends in the reader's input and reads the
/// members the gatherer needs on the way through it. The positions are the body's only when the body is deserialized
/// from one span (<see cref="CdsHookRequest.Read"/>).
/// </summary>
internal sealed class PrefetchValueConverter : JsonConverter<PrefetchValue>
{
    public override PrefetchValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var start = checked((int)reader.TokenStartIndex);
        var kind = KindOf(reader.TokenType);
        string? resourceType = null, id = null;
        List<string?>? entryTypes = null;
        var links = default(BundleLinks);
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var member = reader.ValueTextEquals("resourceType"u8) ? Member.ResourceType
                    : reader.ValueTextEquals("id"u8) ? Member.Id
                    : reader.ValueTextEquals("entry"u8) ? Member.Entry
                    : reader.ValueTextEquals("type"u8) ? Member.Type
                    : reader.ValueTextEquals("link"u8) ? Member.Link
                    : Member.Other;
                reader.Read();
                switch (member)
                {
                    case Member.ResourceType:
                        resourceType = StringOrSkip(ref reader);
                        break;
                    case Member.Id:
                        id = StringOrSkip(ref reader);
                        break;
                    case Member.Entry when reader.TokenType == JsonTokenType.StartArray:
                        entryTypes = EntryTypes(ref reader);
                        break;
                    case Member.Entry:
                        entryTypes = null;
                        reader.Skip();
                        break;
                    case Member.Type:
                        links = links with { Type = StringOrSkip(ref reader) };
                        break;
                    case Member.Link when reader.TokenType == JsonTokenType.StartArray:
                        links = Links(ref reader, links.Type);
                        break;
                    case Member.Link:
                        links = links with { Self = null, HasNext = false };
                        reader.Skip();
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        else
        {
            reader.Skip();
        }
        return new PrefetchValue(start, checked((int)reader.BytesConsumed) - start, kind, resourceType, id, entryTypes, links);
    }

    /// <summary>The <c>self</c> url and whether a <c>next</c> link is there, of a <c>link</c> array read as a push reads a
    /// Bundle's (<see cref="FhirPushReader.ReadLinks"/>); the reader ends on the array's end.</summary>
    private static BundleLinks Links(ref Utf8JsonReader reader, string? type)
    {
        var links = FhirPushReader.ReadLinks(ref reader);
        return new BundleLinks(type, links.LastOrDefault(l => l.Relation == "self" && l.Url is not null)?.Url, links.Any(l => l.Relation == "next"));
    }

    public override void Write(Utf8JsonWriter writer, PrefetchValue value, JsonSerializerOptions options) =>
        throw new NotSupportedException("A prefetch value is only read.");

    /// <summary>Each element's <c>resource.resourceType</c>; the reader ends on the array's end.</summary>
    private static List<string?> EntryTypes(ref Utf8JsonReader reader)
    {
        var types = new List<string?>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            string? type = null;
            var informational = false;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isResource = reader.ValueTextEquals("resource"u8);
                    reader.Read();
                    if (isResource && reader.TokenType == JsonTokenType.StartObject)
                    {
                        (type, informational) = ResourceTypeOf(ref reader);
                        continue;
                    }
                    if (isResource)
                        (type, informational) = (null, false);
                    reader.Skip();
                }
            }
            else
            {
                reader.Skip();
            }
            if (!(type == "OperationOutcome" && informational))
                types.Add(type);
        }
        return types;
    }

    /// <summary>An object's <c>resourceType</c> when a string, and whether it has issues, all of severity
    /// <c>information</c> (an OperationOutcome that reports no problem); the reader ends on the object's end.</summary>
    private static (string? Type, bool Informational) ResourceTypeOf(ref Utf8JsonReader reader)
    {
        string? type = null;
        var (issues, problems) = (0, 0);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var member = reader.ValueTextEquals("resourceType"u8) ? Member.ResourceType : reader.ValueTextEquals("issue"u8) ? Member.Issue : Member.Other;
            reader.Read();
            if (member == Member.ResourceType)
                type = StringOrSkip(ref reader);
            else if (member == Member.Issue && reader.TokenType == JsonTokenType.StartArray)
                (issues, problems) = Severities(ref reader);
            else
                reader.Skip();
        }
        return (type, issues > 0 && problems == 0);
    }

    /// <summary>How many issues an <c>issue</c> array holds, and how many of them are not of severity
    /// <c>information</c>; the reader ends on the array's end.</summary>
    private static (int Issues, int Problems) Severities(ref Utf8JsonReader reader)
    {
        var (issues, problems) = (0, 0);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            issues++;
            string? severity = null;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isSeverity = reader.ValueTextEquals("severity"u8);
                    reader.Read();
                    if (isSeverity)
                        severity = StringOrSkip(ref reader);
                    else
                        reader.Skip();
                }
            }
            else
            {
                reader.Skip();
            }
            if (severity != "information")
                problems++;
        }
        return (issues, problems);
    }

    /// <summary>The current value when a string; anything else is passed over and counts as absent.</summary>
    private static string? StringOrSkip(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
            return reader.GetString();
        reader.Skip();
        return null;
    }

    private static JsonValueKind KindOf(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => JsonValueKind.Object,
        JsonTokenType.StartArray => JsonValueKind.Array,
        JsonTokenType.String => JsonValueKind.String,
        JsonTokenType.Number => JsonValueKind.Number,
        JsonTokenType.True => JsonValueKind.True,
        JsonTokenType.False => JsonValueKind.False,
        _ => JsonValueKind.Null,
    };

    private enum Member
    {
        Other,
        ResourceType,
        Id,
        Entry,
        Type,
        Link,
        Issue,
    }
}

/// <summary>What a prefetched Bundle says of its search: its <c>type</c>, its <c>self</c> link's url, and whether it has
/// a <c>next</c> page.</summary>
internal readonly record struct BundleLinks(string? Type, string? Self, bool HasNext);
