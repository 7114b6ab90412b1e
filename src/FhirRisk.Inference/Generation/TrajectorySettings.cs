using System.Globalization;

namespace FhirRisk.Inference.Generation;

/// <summary>What <see cref="TrajectoryGenerator"/> samples (docs/inference.md "Trajectories"). Immutable.</summary>
public sealed record TrajectorySettings
{
    public static TrajectorySettings Default { get; } = new();

    /// <summary>Futures to sample. Default 1.</summary>
    public int Count { get; init; } = 1;

    /// <summary>Tokens one trajectory may generate. Default 256.</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>A trajectory ends once its clock passes this much generated time; null: no time limit.</summary>
    public TimeSpan? Horizon { get; init; }

    /// <summary>Sampling temperature. Default 1 (plain ancestral sampling, as rollouts).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>With the model and the prompt it fixes every trajectory. Default 42.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>Code prefixes (matching as docs/tasks.md) that end a trajectory at their first event. Default none.</summary>
    public IReadOnlyList<string> StopCodes { get; init; } = [];

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public TrajectorySettings Validate()
    {
        Require(Count >= 1, nameof(Count), "must be at least 1");
        Require(MaxNewTokens >= 1, nameof(MaxNewTokens), "must be at least 1");
        Require(Horizon is null || Horizon > TimeSpan.Zero, nameof(Horizon), "must be positive");
        Require(Temperature > 0 && float.IsFinite(Temperature), nameof(Temperature), "must be positive");
        Require(StopCodes is not null && StopCodes.All(c => !string.IsNullOrWhiteSpace(c)), nameof(StopCodes), "must hold no empty code");
        return this;
    }

    private static void Require(bool condition, string name, string problem)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(name, string.Create(CultureInfo.InvariantCulture, $"TrajectorySettings.{name} {problem}."));
    }
}
