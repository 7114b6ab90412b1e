using System.Text.Json;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// The merge links of a stored Patient's JSON (R4 <c>Patient.link</c>): <c>replaced-by</c>, the chart this one was merged
/// into, and <c>replaces</c>, the charts merged into this one. Only links to a Patient by a relative or absolute
/// <c>Patient/id</c> reference count; anything unreadable is no link.
/// </summary>
internal static class PatientMergeLinks
{
    /// <summary>The id of the Patient <paramref name="json"/> says it was merged into, or null.</summary>
    public static string? ReplacedBy(ReadOnlyMemory<byte> json) => Read(json).ReplacedBy;

    /// <summary>Both kinds of link of <paramref name="json"/>, each a Patient id other than the resource's own.</summary>
    public static (string? ReplacedBy, IReadOnlyList<string> Replaces) Read(ReadOnlyMemory<byte> json)
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
                    || PatientIdOf(reference.GetString()) is not { } target || target == own)
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

    /// <summary>The id of a <c>Patient/id</c> reference, relative or absolute (a version suffix dropped), or null.</summary>
    public static string? PatientIdOf(string? reference)
    {
        if (string.IsNullOrEmpty(reference))
            return null;
        var path = reference.Split('/');
        var at = Array.LastIndexOf(path, "Patient");
        if (at >= 0 && at + 1 < path.Length && path[at + 1].Length > 0 && (at + 2 == path.Length || path[at + 2] == "_history"))
            return path[at + 1];
        return null;
    }
}
