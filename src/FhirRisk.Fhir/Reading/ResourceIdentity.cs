using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FhirRisk.Fhir;

/// <summary>
/// Who a resource is, as its top level says, without parsing it: a 128-bit hash of its <c>id</c> (SHA-256 of the
/// UTF-8 id as written, truncated; copies are keyed by type and this) and the version its <c>meta</c> claims
/// (<c>lastUpdated</c> as UTC ticks, <c>versionId</c> when it is a whole number). Two copies of one resource in an input —
/// versions in a <c>history</c> Bundle, an incremental export beside a full one — share type and hash; the version says
/// which is the later. A class: a head or envelope of another type holds only a null reference (the remembered layouts of
/// a run keep one head per bundle entry).
/// </summary>
public sealed record ResourceIdentity(UInt128 IdHash, long? UpdatedTicks, long? VersionId)
{
    /// <summary>The types whose identity a scan computes: those ingestion indexes, and of which it reads one copy
    /// (docs/formats/fhir-ingestion.md "Copies of one resource"). Hashing every resource's id would cost the scan of an
    /// Observation for nothing.</summary>
    public static IReadOnlySet<string> TrackedTypes { get; } = new HashSet<string>(StringComparer.Ordinal) { "Patient", "Encounter", "Location", "Medication" };
}

/// <summary>Collects a resource's <see cref="ResourceIdentity"/> from its top-level <c>id</c> and <c>meta</c> during a scan.</summary>
internal struct IdentityReader
{
    private int _idAfter; // one past the start of the id's unescaped bytes in the document (0: none); hashed only for a tracked type
    private int _idLength;
    private string? _escapedId;
    private long? _updated;
    private long? _version;

    public enum Property
    {
        Other,
        Id,
        Meta,
    }

    /// <summary>The identity of a resource of <paramref name="resourceType"/> scanned in <paramref name="document"/>;
    /// null without an id, or for a type whose copies are not tracked (<see cref="ResourceIdentity.TrackedTypes"/>).</summary>
    public readonly ResourceIdentity? IdentityOf(string? resourceType, ReadOnlySpan<byte> document)
    {
        if (resourceType is null || !ResourceIdentity.TrackedTypes.Contains(resourceType) || (_idAfter == 0 && _escapedId is null))
            return null;
        Span<byte> digest = stackalloc byte[32];
        if (_escapedId is not null)
            SHA256.HashData(Encoding.UTF8.GetBytes(_escapedId), digest);
        else
            SHA256.HashData(document.Slice(_idAfter - 1, _idLength), digest);
        var id = new UInt128(BinaryPrimitives.ReadUInt64LittleEndian(digest), BinaryPrimitives.ReadUInt64LittleEndian(digest[8..]));
        return new ResourceIdentity(id, _updated, _version);
    }

    /// <summary>Which identity property the reader stands on (a property name).</summary>
    public static Property PropertyOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("id"u8) ? Property.Id : reader.ValueTextEquals("meta"u8) ? Property.Meta : Property.Other;

    /// <summary>Reads the value of an <c>id</c> or <c>meta</c> property (the reader on it); false for any other, left unread.</summary>
    public bool TryRead(Property property, ref Utf8JsonReader reader)
    {
        if (property == Property.Id && reader.TokenType == JsonTokenType.String)
        {
            if (reader.ValueIsEscaped)
            {
                (_escapedId, _idAfter) = (Text(ref reader), 0);
            }
            else
            {
                // The value's bytes follow the opening quote of the token.
                (_idAfter, _idLength, _escapedId) = ((int)reader.TokenStartIndex + 2, reader.ValueSpan.Length, null);
            }
            return true;
        }
        if (property != Property.Meta || reader.TokenType != JsonTokenType.StartObject)
            return false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isUpdated = reader.ValueTextEquals("lastUpdated"u8);
            var isVersion = reader.ValueTextEquals("versionId"u8);
            reader.Read();
            if (isUpdated && reader.TokenType == JsonTokenType.String)
                _updated = FhirDates.TryParse(Text(ref reader), out var at, out _) ? at.Utc.Ticks : null;
            else if (isVersion && reader.TokenType == JsonTokenType.String)
                _version = long.TryParse(Text(ref reader).Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
            else
                reader.Skip();
        }
        return true;
    }

    /// <summary>The string, or "" when it is not text (invalid UTF-8 is the parser's to report, not the scan's).</summary>
    private static string Text(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString() ?? "";
        }
        catch (InvalidOperationException)
        {
            return "";
        }
    }
}
