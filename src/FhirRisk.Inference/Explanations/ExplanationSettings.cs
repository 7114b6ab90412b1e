using System.Globalization;

namespace FhirRisk.Inference.Explanations;

/// <summary>Which timeline tokens form one clinical fact (docs/inference.md "Explanations").</summary>
public enum FactGrouping
{
    /// <summary>One event: its code token(s), its decile token, and the interval token(s) that led to it.</summary>
    Event,

    /// <summary>
    /// Consecutive events at one timestamp whose codes share a vocabulary (<c>LOINC</c>, <c>ICD10CM</c>,
    /// <c>HOSPITAL_ADMISSION</c>) — a lab panel, the diagnoses coded together — with the interval token(s) before them.
    /// </summary>
    TimeAndVocabulary,
}

/// <summary>How explanations are computed and what they may cost (docs/inference.md "Explanations"). Immutable.</summary>
public sealed record ExplanationSettings
{
    public static ExplanationSettings Default { get; } = new();

    /// <summary>What one fact is. Default <see cref="FactGrouping.Event"/>.</summary>
    public FactGrouping Grouping { get; init; } = FactGrouping.Event;

    /// <summary>
    /// Explain at most the last N facts of the span; earlier ones are counted in
    /// <see cref="RiskExplanation.OmittedFacts"/>. Bounds the cost: rollouts run (N + 1) × <see cref="RolloutsPerPoint"/>
    /// rollouts, heads 2N + 1 contexts. Default 16.
    /// </summary>
    public int MaxFacts { get; init; } = 16;

    /// <summary>Contributors listed for a card, largest |Δ| first. Default 5.</summary>
    public int TopContributors { get; init; } = 5;

    /// <summary>Rollouts: the fixed count at every trajectory point (no adaptive stopping, so every point has the same
    /// streams). Default 20, the npj paper's count.</summary>
    public int RolloutsPerPoint { get; init; } = 20;

    /// <summary>
    /// Rollouts: every trajectory point uses the same random streams (rollout i draws stream i of one key), so two
    /// neighbouring points differ by the fact between them, not by sampling noise. Default true; false only to measure
    /// what it buys.
    /// </summary>
    public bool CommonRandomNumbers { get; init; } = true;

    /// <summary>Heads: contexts per forward pass. Each row costs the activations of one heads prediction. Default 4.</summary>
    public int MaxBatch { get; init; } = 4;

    /// <summary>Readable names of codes (e.g. <c>metadata/codes.parquet</c> descriptions) for the labels; null: the names
    /// the model's tokenizer carries (<c>codes.tsv</c>, <c>TimelineTokenizer.CodeDescriptions</c>), and without those the
    /// code itself. A query's own names (<see cref="ExplanationQuery.CodeDescriptions"/>, the patient's record) come
    /// first.</summary>
    public IReadOnlyDictionary<string, string>? CodeDescriptions { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public ExplanationSettings Validate()
    {
        Require(MaxFacts >= 1, nameof(MaxFacts), "must be at least 1");
        Require(TopContributors >= 0, nameof(TopContributors), "must not be negative");
        Require(RolloutsPerPoint >= 1, nameof(RolloutsPerPoint), "must be at least 1");
        Require(MaxBatch >= 1, nameof(MaxBatch), "must be at least 1");
        Require(Enum.IsDefined(Grouping), nameof(Grouping), "must be a FactGrouping");
        return this;
    }

    private static void Require(bool condition, string name, string problem)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(name, string.Create(CultureInfo.InvariantCulture, $"ExplanationSettings.{name} {problem}."));
    }
}
