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
}
