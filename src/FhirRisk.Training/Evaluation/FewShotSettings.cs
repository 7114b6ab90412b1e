namespace FhirRisk.Training.Evaluation;

/// <summary>
/// The few-shot protocol of EHRSHOT (reference/peers.md §3.3): k labeled examples per class, for each k, in several
/// replicates, plus one run on all training data; the test set is always the whole test split.
/// </summary>
public sealed record FewShotSettings
{
    /// <summary>k: training examples per class (EHRSHOT's figures: 1…128).</summary>
    public IReadOnlyList<int> Shots { get; init; } = [1, 2, 4, 8, 16, 32, 64, 128];

    /// <summary>Also train once on the whole pool (the "all" point of the curve, and the method's main result).</summary>
    public bool IncludeAll { get; init; } = true;

    /// <summary>Replicates per k, each an independent draw (EHRSHOT: 5).</summary>
    public int Replicates { get; init; } = 5;

    /// <summary>Seed of the draws; replicate r of task t draws from its own stream, so adding a task moves nothing.</summary>
    public ulong Seed { get; init; }

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Shots);
        if (Shots.Any(k => k < 1))
            throw new ArgumentOutOfRangeException(nameof(Shots), "Every k must be at least 1.");
        if (Shots.Distinct().Count() != Shots.Count)
            throw new ArgumentException("Shots repeats a k.", nameof(Shots));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Replicates);
        if (Shots.Count == 0 && !IncludeAll)
            throw new ArgumentException("No k and no all-data run: nothing to train.", nameof(Shots));
    }
}
