namespace FhirRisk.Fhir;

/// <summary>The forms a Reference.reference may take (R4 §2.3.0 "Literal references").</summary>
public enum FhirReferenceKind
{
    /// <summary><c>Patient/123</c> (optionally <c>/_history/2</c>): resolves within the bundle or export.</summary>
    Relative,
    /// <summary><c>https://server/fhir/Patient/123</c>: type and id are the last two path segments.</summary>
    Absolute,
    /// <summary><c>urn:uuid:…</c>: resolves against a bundle entry's fullUrl.</summary>
    UrnUuid,
    /// <summary><c>#id</c>: a contained resource of the referring resource.</summary>
    Contained,
    /// <summary><c>Patient?identifier=…</c>: a search, only meaningful to a server processing a transaction.</summary>
    Conditional,
    /// <summary>Empty, or not in any of the forms above.</summary>
    Invalid,
}

/// <summary>
/// A parsed reference: <see cref="ResourceType"/> and <see cref="Id"/> where the form names them (Relative, Absolute,
/// Conditional has only the type; Contained has only the id; UrnUuid has the uuid as its id).
/// </summary>
public sealed record FhirReferenceTarget(FhirReferenceKind Kind, string? ResourceType, string? Id, string Raw);

/// <summary>Classifies reference strings; resolution against a bundle or export happens in the mappers.</summary>
public static class FhirReferences
{
    public static FhirReferenceTarget Parse(string? reference)
    {
        var raw = reference ?? "";
        var text = raw.Trim();
        if (text.Length == 0)
            return Invalid(raw);
        if (text[0] == '#')
            return text.Length > 1 ? new(FhirReferenceKind.Contained, null, text[1..], raw) : Invalid(raw);
        if (text.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase))
            return text.Length > 9 ? new(FhirReferenceKind.UrnUuid, null, text[9..], raw) : Invalid(raw);
        if (text.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
            return Invalid(raw); // urn:oid: and others name no resource we can find
        var question = text.IndexOf('?', StringComparison.Ordinal);
        if (question > 0)
            return IsResourceType(text[..question]) ? new(FhirReferenceKind.Conditional, text[..question], null, raw) : Invalid(raw);
        var absolute = text.Contains("://", StringComparison.Ordinal);
        Uri? uri = null;
        if (absolute && !Uri.TryCreate(text, UriKind.Absolute, out uri))
            return Invalid(raw);
        var (type, id) = LastTypeAndId(uri?.AbsolutePath ?? text);
        if (type is null || id is null)
            return Invalid(raw);
        return new(absolute ? FhirReferenceKind.Absolute : FhirReferenceKind.Relative, type, id, raw);
    }

    /// <summary>
    /// The id of the Patient a merge link (<c>Patient.link.other</c>, R4 §8.1 "Patient") names, when the link names a
    /// chart of the linking Patient's own server: a relative <c>Patient/id</c>, or an absolute one whose service base is
    /// that of <paramref name="ownFullUrl"/>, the linking Patient's fullUrl. A link joins two charts into one person, so
    /// it is read more strictly than a subject's reference: an absolute link to another server's Patient (an enterprise
    /// MPI's, another facility's) names that server's chart, and read by its id alone it would join a different patient
    /// of ours; a Patient with no absolute fullUrl (bulk NDJSON) cannot tell, and its absolute links are not followed.
    /// <c>urn:</c>, contained and conditional links name no stored chart. Null for all of these.
    /// </summary>
    public static string? SameServerPatient(string? link, string? ownFullUrl)
    {
        var target = Parse(link);
        if (target.ResourceType != "Patient" || target.Id is null)
            return null;
        return target.Kind switch
        {
            FhirReferenceKind.Relative => target.Id,
            FhirReferenceKind.Absolute when BaseOf(link) is { } linkBase && linkBase == BaseOf(ownFullUrl) => target.Id,
            _ => null,
        };
    }

    /// <summary>
    /// The service base of an absolute reference or fullUrl (<c>https://server/fhir/Patient/123</c> →
    /// <c>https://server/fhir</c>; R4 §2.3.0 "Literal references"), scheme and host in lower case and without a trailing
    /// slash, so that two spellings of one server compare equal; null for anything else (relative, <c>urn:</c>, no
    /// <c>Type/id</c> at the end).
    /// </summary>
    public static string? BaseOf(string? url)
    {
        var text = url?.Trim();
        if (text is null || !text.Contains("://", StringComparison.Ordinal) || text.Contains('?', StringComparison.Ordinal)
            || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return null;
        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var end = segments.Length;
        if (end >= 4 && segments[end - 2] == "_history")
            end -= 2;
        if (end < 2 || !IsResourceType(segments[end - 2]) || !IsId(segments[end - 1]))
            return null;
        var path = string.Concat(segments[..(end - 2)].Select(s => "/" + s));
        return $"{uri.Scheme}://{uri.Authority.ToLowerInvariant()}{path}";
    }

    // "…/Patient/123" or "…/Patient/123/_history/2": the type/id pair before any _history suffix.
    private static (string? Type, string? Id) LastTypeAndId(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var end = segments.Length;
        if (end >= 4 && segments[end - 2] == "_history")
            end -= 2;
        if (end < 2 || !IsResourceType(segments[end - 2]) || !IsId(segments[end - 1]))
            return (null, null);
        return (segments[end - 2], segments[end - 1]);
    }

    /// <summary>Whether <paramref name="name"/> can be an R4 resource type name: capitalised ASCII letters, at most 64.</summary>
    public static bool IsResourceType(string? name) =>
        name is { Length: > 0 and <= 64 } && char.IsAsciiLetterUpper(name[0]) && name.All(char.IsAsciiLetter);

    /// <summary>Whether <paramref name="id"/> is an R4 id: <c>[A-Za-z0-9\-\.]{1,64}</c> (R4 §2.24 "id").</summary>
    public static bool IsId(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');

    /// <summary>The UUID of <paramref name="text"/> when it is <c>urn:uuid:</c> and an RFC 4122 UUID in its hyphenated
    /// form (<c>8-4-4-4-12</c> hex digits), prefix and digits as written; null otherwise.</summary>
    public static string? UuidOfUrn(string? text) =>
        text is { Length: 45 } && text.StartsWith("urn:uuid:", StringComparison.Ordinal) && Guid.TryParseExact(text.AsSpan(9), "D", out _)
            ? text[9..]
            : null;

    private static FhirReferenceTarget Invalid(string raw) => new(FhirReferenceKind.Invalid, null, null, raw);
}
