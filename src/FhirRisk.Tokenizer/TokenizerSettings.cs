using FhirRisk.Meds;

namespace FhirRisk.Tokenizer;

/// <summary>
/// How <see cref="TimelineTokenizer.Fit"/> builds the timeline language (DESIGN §4). Saved with the fitted tokenizer,
/// so encoding later needs only the model directory.
/// </summary>
public sealed record TokenizerSettings
{
    /// <summary>Marks the two age tokens' place in <see cref="StaticFields"/>.</summary>
    public const string AgeField = "AGE";

    /// <summary>The small-cell threshold of <see cref="SmallCell"/>: fewest subjects behind anything the fit publishes
    /// (docs/formats/tokenizer.md "Before you share a tokenizer").</summary>
    public const int SmallCellThreshold = 10;

    /// <summary>Every train code and value kept (<see cref="MinCount"/> and <see cref="MinSubjects"/> 1): for simulated
    /// data, tests and experiments. The demo model is fitted with it.</summary>
    public static readonly TokenizerSettings Default = new();

    /// <summary>The settings <c>fhirrisk tokenize fit</c> starts from: a code token, a static value and a quantized
    /// code each need <see cref="SmallCellThreshold"/> subjects (and a code token as many occurrences), so the files
    /// hold no string or value seen in fewer patients.</summary>
    public static readonly TokenizerSettings SmallCell = new() { MinCount = SmallCellThreshold, MinSubjects = SmallCellThreshold };

    /// <summary>Splits the vocabulary, deciles and interval estimates are fitted on (default <c>train</c> only).</summary>
    public IReadOnlyList<string> FitSplits { get; init; } = [MedsSchema.TrainSplit];

    /// <summary>Fewest train occurrences a code token needs to enter the vocabulary (default 1: every train code).</summary>
    public int MinCount { get; init; } = 1;

    /// <summary>Small-cell rule (default 1: off): fewest distinct train subjects a code token or a static value needs
    /// to enter the vocabulary, and a numeric code needs to be quantized (its breaks and bin values are train values).
    /// A static value below it is written <c>&lt;FIELD&gt;//UNKNOWN</c>; a code token below it backs off like a rare
    /// code.</summary>
    public int MinSubjects { get; init; } = 1;

    /// <summary>Most tokens in the vocabulary, reserved and static tokens included (default 65,536). The rarest code
    /// tokens are left out first; their occurrences back off like unseen codes.</summary>
    public int MaxVocabularySize { get; init; } = 65_536;

    /// <summary>How many numeric codes get decile tokens: the N with the most numeric train values (default 200,
    /// ETHOS' count of labs, which covers about 95 % of lab results).</summary>
    public int QuantizedCodes { get; init; } = 200;

    /// <summary>The static prefix, in order: code vocabularies (<c>GENDER</c> → <c>GENDER//F</c>) and <see cref="AgeField"/>
    /// for the two age-digit tokens. Each field is one token (two for age) in every window (ethos.md §1.2).</summary>
    public IReadOnlyList<string> StaticFields { get; init; } = ["GENDER", AgeField, "RACE", "ETHNICITY"];

    /// <summary>The interval tokens, shortest first; the last one repeats (default <see cref="TimeIntervalToken.Ethos"/>).</summary>
    public IReadOnlyList<TimeIntervalToken> Intervals { get; init; } = TimeIntervalToken.Ethos;

    /// <summary>Hierarchical code families for ancestor back-off and subtokens (default <see cref="CodeHierarchy.Icd"/>).</summary>
    public IReadOnlyList<CodeHierarchy> Hierarchies { get; init; } = CodeHierarchy.Icd;

    /// <summary>Code prefixes a source records by date only (at midnight), placed at the end of their day when fitting
    /// and encoding (<see cref="DayEndCodes"/>; e.g. <c>PROCEDURE//ICD</c> for MEDS_transforms' MIMIC-IV). Empty by
    /// default: our FHIR ingestion already places date-only procedures at the end of their day.</summary>
    public IReadOnlyList<string> DayEndCodes { get; init; } = [];

    /// <summary>How the events of one timestamp are ordered when fitting and encoding (default
    /// <see cref="Tokenizer.TieOrder.Canonical"/>: by code and value, so the same record always gives the same tokens).
    /// A tokenizer file without the setting was fitted before it existed and reads as <see cref="Tokenizer.TieOrder.Input"/>,
    /// the order its model was trained on.</summary>
    public TieOrder TieOrder { get; init; } = TieOrder.Canonical;

    /// <summary>
    /// Placement rules added on 2026-12-06, each saved with the tokenizer so that a model and its tokenizer always agree
    /// (a file without them was fitted before and keeps the order its model was trained on): a date-only death placed as
    /// the labels place it (<see cref="Meds.DateOnlyDeaths"/>), and, with <see cref="TieOrder.Canonical"/>, a transfer's
    /// close written before the new stay's open. Both on for new fits.
    /// </summary>
    public bool PlaceDateOnlyDeaths { get; init; } = true;

    /// <inheritdoc cref="PlaceDateOnlyDeaths"/>
    public bool TransfersCloseFirst { get; init; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (FitSplits is null || FitSplits.Count == 0)
            throw new ArgumentException("FitSplits must name at least one split (normally 'train').");
        ArgumentOutOfRangeException.ThrowIfLessThan(MinCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MinSubjects, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxVocabularySize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(QuantizedCodes);
        ArgumentNullException.ThrowIfNull(StaticFields);
        ArgumentNullException.ThrowIfNull(Hierarchies);
        if (StaticFields.Distinct(StringComparer.Ordinal).Count() != StaticFields.Count)
            throw new ArgumentException("StaticFields must not repeat a field.");
        if (StaticFields.Any(f => string.IsNullOrEmpty(f) || f.Contains("//", StringComparison.Ordinal)))
            throw new ArgumentException("StaticFields are vocabulary names such as GENDER (no '//').");
        if (DayEndCodes is null || DayEndCodes.Any(string.IsNullOrEmpty))
            throw new ArgumentException("DayEndCodes must not hold an empty prefix (it would move every midnight event).");
        if (Intervals is null || Intervals.Count == 0)
            throw new ArgumentException("Intervals must define at least one token.");
        for (var i = 0; i < Intervals.Count; i++)
        {
            if (Intervals[i].LowerBound <= TimeSpan.Zero || (i > 0 && Intervals[i].LowerBound <= Intervals[i - 1].LowerBound))
                throw new ArgumentException($"Interval '{Intervals[i].Name}': lower bounds must be positive and increasing.");
        }
        if (Hierarchies.Any(h => string.IsNullOrEmpty(h.Prefix) || h.CategoryLength < 1))
            throw new ArgumentException("Each hierarchy needs a prefix and a category length of at least 1.");
    }
}
