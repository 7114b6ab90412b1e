using FhirRisk.Model;

namespace FhirRisk.Training.Probes;

/// <summary>How <see cref="EmbeddingFeaturizer"/> runs the model.</summary>
public sealed record EmbeddingSettings
{
    public static readonly EmbeddingSettings Default = new();

    /// <summary>Sequences per forward pass (default 8); the activations are sized for this many full contexts.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Threads of the CPU kernels (default: one per core).</summary>
    public ComputeOptions Compute { get; init; } = ComputeOptions.Default;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public EmbeddingSettings Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1);
        ArgumentNullException.ThrowIfNull(Compute);
        return this;
    }
}
