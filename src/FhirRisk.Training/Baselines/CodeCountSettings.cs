using FhirRisk.Meds;
using FhirRisk.Tokenizer;

namespace FhirRisk.Training.Baselines;

/// <summary>How the count baseline's feature vocabulary is fitted (docs/probes.md "Count baseline").</summary>
public sealed record CodeCountSettings
{
    public static readonly CodeCountSettings Default = new();

    /// <summary>The splits whose events the vocabulary is fitted on (default <c>train</c> only).</summary>
    public IReadOnlyList<string> FitSplits { get; init; } = [MedsSchema.TrainSplit];

    /// <summary>Fewest occurrences in the fitting splits' events, after roll-up, a feature needs (default 5).</summary>
    public int MinCount { get; init; } = 5;

    /// <summary>Code families rolled up to their ancestors (default <see cref="CodeHierarchy.Icd"/>): an ICD code also
    /// counts toward each shorter prefix down to its category.</summary>
    public IReadOnlyList<CodeHierarchy> Hierarchies { get; init; } = CodeHierarchy.Icd;

    /// <summary>Add the age in years at the prediction time as a last column (default true; EHRSHOT's count baseline
    /// adds an age feature too, reference/peers.md §3.3).</summary>
    public bool IncludeAge { get; init; } = true;

    /// <summary>Place what the source records by date only as the tokenizer and the labels do (default true): a death at
    /// midnight after the other events of its day (<see cref="DateOnlyDeaths"/>), and the code groups of the fitting
    /// splits that are (nearly) all at midnight at the end of their day, by <c>tokenize fit</c>'s own rule
    /// (<see cref="Tokenizer.DateOnlyCodeGroup.DayEndCandidates"/>). Without it a count at an admission read the stay's own
    /// date-only procedures, and at a discharge the day's date-only death that the label is about.</summary>
    public bool PlaceDateOnly { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public CodeCountSettings Validate()
    {
        if (FitSplits is null || FitSplits.Count == 0)
            throw new ArgumentException("FitSplits must name at least one split (normally 'train').");
        ArgumentOutOfRangeException.ThrowIfLessThan(MinCount, 1);
        ArgumentNullException.ThrowIfNull(Hierarchies);
        return this;
    }
}
