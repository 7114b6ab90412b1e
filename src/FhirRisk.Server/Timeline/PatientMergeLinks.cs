using System.Text.Json;
using FhirRisk.Fhir;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// The merge links of a stored Patient's JSON (R4 <c>Patient.link</c>): <c>replaced-by</c>, the chart this one was merged
/// into, and <c>replaces</c>, the charts merged into this one. Only links to a Patient of the linking Patient's own
/// server count (<see cref="FhirReferences.SameServerPatient"/>: relative, or absolute on the base of its fullUrl); an
/// absolute link to another server's chart joined our chart of the same id, another person (review s24-store H1).
/// Anything unreadable is no link.
/// </summary>
internal static class PatientMergeLinks
{
    /// <summary>The id of the Patient <paramref name="json"/> says it was merged into, or null.</summary>
    public static string? ReplacedBy(ReadOnlyMemory<byte> json, string? fullUrl) => Read(json, fullUrl).ReplacedBy;

    /// <summary>Both kinds of link of <paramref name="json"/> (a Patient stored under <paramref name="fullUrl"/>), each a
    /// Patient id other than the resource's own.</summary>
    public static (string? ReplacedBy, IReadOnlyList<string> Replaces) Read(ReadOnlyMemory<byte> json, string? fullUrl)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("link", out var links) || links.ValueKind != JsonValueKind.Array)
                return (null, []);
            var own = root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            string? replacedBy = null;
            var replaces = new List<string>();
            foreach (var link in links.EnumerateArray())
            {
                if (link.ValueKind != JsonValueKind.Object || !link.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                    || !link.TryGetProperty("other", out var other) || other.ValueKind != JsonValueKind.Object
                    || !other.TryGetProperty("reference", out var reference) || reference.ValueKind != JsonValueKind.String
                    || FhirReferences.SameServerPatient(reference.GetString(), fullUrl) is not { } target || target == own)
                    continue;
                if (type.ValueEquals("replaced-by"))
                    replacedBy ??= target;
                else if (type.ValueEquals("replaces") && !replaces.Contains(target))
                    replaces.Add(target);
            }
            return (replacedBy, replaces);
        }
        catch (JsonException)
        {
            return (null, []);
        }
    }
}
