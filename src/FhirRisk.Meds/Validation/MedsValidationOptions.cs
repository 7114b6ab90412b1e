using FhirRisk.Core;
using FhirRisk.Parquet;

namespace FhirRisk.Meds;

/// <summary>Settings of <see cref="MedsValidator"/>.</summary>
public sealed record MedsValidationOptions
{
    public static readonly MedsValidationOptions Default = new();

    /// <summary>
    /// Treat codes missing from <c>codes.parquet</c> (MEDS019) as errors. MEDS v0.4 requires every code to be listed,
    /// but the official MEDS test sample and MEDS_transforms datasets list only codes with metadata, so the default
    /// reports a warning.
    /// </summary>
    public bool Strict { get; init; }

    /// <summary>Most issues reported per code (default 100); the rest are counted in one MEDS099 issue.</summary>
    public int MaxIssuesPerCode { get; init; } = 100;

    public ParquetReaderOptions? ParquetOptions { get; init; }
}

/// <summary>How many issues of one code and severity a validation found (before the per-code cap).</summary>
public sealed record MedsIssueCount(string Code, IssueSeverity Severity, int Count);

/// <summary>The result of <see cref="MedsValidator.Check"/>.</summary>
/// <param name="Issues">The issues kept (at most the cap per code), then MEDS099 notes for what was omitted.</param>
/// <param name="Counts">Every issue found, counted per code and severity, ordered by code.</param>
public sealed record MedsValidationReport(IReadOnlyList<Issue> Issues, IReadOnlyList<MedsIssueCount> Counts)
{
    public int ErrorCount => Counts.Where(c => c.Severity == IssueSeverity.Error).Sum(c => c.Count);

    public int WarningCount => Counts.Where(c => c.Severity == IssueSeverity.Warning).Sum(c => c.Count);

    public bool IsValid => ErrorCount == 0;
}
