namespace FhirRisk.Core;

/// <summary>How bad an <see cref="Issue"/> is: errors make the input invalid, warnings do not.</summary>
public enum IssueSeverity
{
    Information,
    Warning,
    Error,
}

/// <summary>
/// A problem found in input data, reported as data rather than thrown (STYLE 7). <see cref="Code"/> is stable and
/// documented (tests assert codes, never messages); <see cref="Path"/> locates the instance, e.g.
/// <c>data/train/0.parquet:row 17</c> or <c>Bundle.entry[3].resource.effectiveDateTime</c>.
/// </summary>
public sealed record Issue(string Code, IssueSeverity Severity, string Path, string Message)
{
    public static Issue Error(string code, string path, string message) => new(code, IssueSeverity.Error, path, message);

    public static Issue Warning(string code, string path, string message) => new(code, IssueSeverity.Warning, path, message);

    public override string ToString() => $"{Severity.ToString().ToUpperInvariant()} {Code} at {Path}: {Message}";
}
