using System.Globalization;
using FhirRisk.Core;

namespace FhirRisk.Synthetic.Generation;

/// <summary>
/// What <see cref="SyntheticPatientGeneration"/> generates and reports (docs/generate.md). Immutable; the CLI binds it
/// from <c>fhirrisk generate</c>.
/// </summary>
public sealed record GenerationSettings
{
    /// <summary>The model directory (weights and tokenizer) to sample from.</summary>
    public required string ModelDirectory { get; init; }

    /// <summary>The folder to write (<c>meds/</c>, <c>fhir/</c>, <c>reports/</c>); must hold no files.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>Synthetic patients to generate. Default 100.</summary>
    public int Patients { get; init; } = 100;

    /// <summary>The seed of the static prefixes and of every rollout: equal seeds give equal output.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// A MEDS dataset (normally the model's training data). When set, static prefixes are drawn from its train patients
    /// and the fidelity and privacy reports compare the synthetic patients with its train and held-out patients; when
    /// null, prefixes are drawn from the tokenizer's static-token frequencies and no report is written.
    /// </summary>
    public string? Dataset { get; init; }

    /// <summary>The largest share (0–1) of <see cref="Dataset"/>'s train events whose codes the model's vocabulary does not
    /// know at all; above it the run fails with <see cref="Tokenizer.TokenizerIssueCodes.TooManyUnknownCodes"/> before
    /// anything is generated (a model of other data: its prompts and reports would compare unlike records). Null (the
    /// default) accepts any share.</summary>
    public double? MaxUnknownShare { get; init; }

    /// <summary>Tokens one timeline may generate; a timeline still open then is cut there. Default 2048.</summary>
    public int MaxNewTokens { get; init; } = 2048;

    /// <summary>Generated time after which a timeline ends. Default 10 years (ETHOS' synthetic generation, ethos.md §5).</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromDays(3652.5);

    /// <summary>Sampling temperature. Default 1 (plain ancestral sampling).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>CPU kernel threads. Default one per core.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Patients of each group (synthetic, train, held-out) the privacy tests sample at most; every group is then
    /// cut to the smallest one's size. Default 1,000.</summary>
    public int PrivacySample { get; init; } = 1_000;

    /// <summary>The clock of <c>meds/metadata/dataset.json</c>'s <c>created_at</c> and <c>fhir/manifest.json</c>'s
    /// <c>transactionTime</c>: a <see cref="FixedClock"/> makes a seeded run byte-identical. Default the system clock.</summary>
    public IClock Clock { get; init; } = SystemClock.Instance;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public GenerationSettings Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(ModelDirectory);
        ArgumentException.ThrowIfNullOrEmpty(OutputFolder);
        Require(Patients >= 1, nameof(Patients), "must be at least 1");
        Require(MaxNewTokens >= 1, nameof(MaxNewTokens), "must be at least 1");
        Require(TimeLimit > TimeSpan.Zero, nameof(TimeLimit), "must be positive");
        Require(Temperature >= Inference.Rollouts.RolloutSettings.MinTemperature && float.IsFinite(Temperature), nameof(Temperature),
            $"must be at least {Inference.Rollouts.RolloutSettings.MinTemperature} (below it a logit over the temperature overflows)");
        Require(Threads >= 1, nameof(Threads), "must be at least 1");
        Require(MaxUnknownShare is null or (>= 0 and <= 1), nameof(MaxUnknownShare), "must be between 0 and 1");
        Require(PrivacySample >= 2, nameof(PrivacySample), "must be at least 2");
        ArgumentNullException.ThrowIfNull(Clock);
        return this;
    }

    private static void Require(bool condition, string name, string problem)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(name, string.Create(CultureInfo.InvariantCulture, $"GenerationSettings.{name} {problem}."));
    }
}
