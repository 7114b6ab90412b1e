namespace FhirRisk.Tokenizer;

/// <summary>What a tokenizer was fitted on (saved with it, so a model directory says which data shaped its language).</summary>
/// <param name="Splits">The MEDS splits read.</param>
/// <param name="Subjects">Subjects read.</param>
/// <param name="Events">Event rows read, static rows included.</param>
public sealed record TokenizerFitSummary(IReadOnlyList<string> Splits, long Subjects, long Events)
{
    /// <summary>Code groups of the fit whose events are nearly all at midnight (<see cref="DateOnlyCodeGroup"/>), largest
    /// first; known only right after fitting (not saved).</summary>
    public IReadOnlyList<DateOnlyCodeGroup> DateOnlyGroups { get; init; } = [];

    /// <summary>
    /// The site time zone (IANA id) the fitted dataset's FHIR dates were read in (<c>dataset.json</c>'s
    /// <c>fhirrisk_time_zone</c>, docs/formats/fhir-ingestion.md "Time"); null: UTC, or a dataset that names none. The
    /// service reads its FHIR in <c>Model:TimeZone</c> and refuses a model fitted in another zone.
    /// </summary>
    public string? SiteTimeZone { get; init; }
}
