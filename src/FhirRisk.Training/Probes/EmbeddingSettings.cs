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

    /// <summary>The largest share (0–1) of the points' timeline events whose codes the model's vocabulary does not know
    /// at all that <see cref="EmbeddingFeaturizer.Build"/> accepts; above it, it throws
    /// <see cref="Tokenizer.TokenizationException"/> (<see cref="Tokenizer.TokenizerIssueCodes.TooManyUnknownCodes"/>) before
    /// running the model. Null (the default) accepts any share.</summary>
    public double? MaxUnknownShare { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public EmbeddingSettings Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1);
        ArgumentNullException.ThrowIfNull(Compute);
        if (MaxUnknownShare is { } share)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(share, nameof(MaxUnknownShare));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(share, 1, nameof(MaxUnknownShare));
        }
        return this;
    }
}
