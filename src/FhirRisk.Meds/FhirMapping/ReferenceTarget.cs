namespace FhirRisk.Meds.FhirMapping;

/// <summary>How a Reference string is written (FHIR R4 §2.3.0 "Resolving references in Bundles").</summary>
internal enum ReferenceForm
{
    Contained,
    Urn,
    Relative,
    Absolute,
    Conditional,
}

/// <summary>
/// A Reference split into its form, resource type and logical id. <c>_history/n</c> suffixes are dropped: a version
/// names the same resource. Absolute URLs keep their raw text so they can match a bundle entry's fullUrl first.
/// </summary>
internal readonly record struct ReferenceTarget(ReferenceForm Form, string Raw, string? Type, string? Id)
{
    public static ReferenceTarget? Parse(string? reference)
    {
        var raw = reference?.Trim();
        if (string.IsNullOrEmpty(raw))
            return null;
        if (raw[0] == '#')
            return new ReferenceTarget(ReferenceForm.Contained, raw, null, raw[1..]);
        if (raw.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
            return new ReferenceTarget(ReferenceForm.Urn, raw, null, raw[(raw.LastIndexOf(':') + 1)..]);
        if (raw.Contains('?', StringComparison.Ordinal))
            return new ReferenceTarget(ReferenceForm.Conditional, raw, raw[..raw.IndexOf('?', StringComparison.Ordinal)], null);
        var form = raw.Contains("://", StringComparison.Ordinal) ? ReferenceForm.Absolute : ReferenceForm.Relative;
        var segments = raw.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var count = segments.Length;
        if (count >= 4 && segments[count - 2] == "_history")
            count -= 2;
        if (count < 2)
            return new ReferenceTarget(form, raw, null, null);
        return new ReferenceTarget(form, raw, segments[count - 2], segments[count - 1]);
    }

    public string? TypeAndId => Type is null || Id is null ? null : $"{Type}/{Id}";
}
