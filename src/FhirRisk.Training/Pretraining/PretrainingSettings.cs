using FhirRisk.Model;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;

namespace FhirRisk.Training.Pretraining;

/// <summary>
/// Everything a pretraining run is configured by (DESIGN §5, issue 6 item 1): the model shape, the batch, the AdamW
/// recipe with warmup and cosine decay, evaluation and checkpoint cadence, the seed and the thread budget. Immutable;
/// saved with every checkpoint so <c>--resume</c> continues the same run. The defaults train a small model on a CPU
/// (ETHOS's recipe, reference/ethos.md §2.2, scaled down: β 0.9/0.95, weight decay 0.1 on matrices, clip 1).
/// </summary>
public sealed record PretrainingSettings
{
    /// <summary>L, transformer blocks.</summary>
    public int Layers { get; init; } = 4;

    /// <summary>NH, attention heads; must divide <see cref="Channels"/>.</summary>
    public int Heads { get; init; } = 4;

    /// <summary>C, the width of the residual stream.</summary>
    public int Channels { get; init; } = 128;

    /// <summary>T, positions per window: the static prefix plus T − prefix timeline tokens.</summary>
    public int ContextLength { get; init; } = 256;

    /// <summary>Drop probability on the embeddings and after each attention and MLP projection (training only).</summary>
    public float Dropout { get; init; } = 0.1f;

    /// <summary>How windows are drawn (docs/training.md "Sampling"): <see cref="WindowSampling.Anchored"/> (the default)
    /// or <see cref="WindowSampling.Uniform"/>, which covers the ends of timelines as often as their middles.</summary>
    public WindowSampling Windows { get; init; } = WindowSampling.Anchored;

    /// <summary>B, windows per optimizer step (tokens per step = B·T).</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Optimizer steps of the whole run; the cosine reaches its floor here.</summary>
    public int Steps { get; init; } = 2_000;

    /// <summary>Peak learning rate, reached at the end of warmup.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Steps of linear warmup from 0 to <see cref="LearningRate"/>.</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary>The cosine's floor as a fraction of <see cref="LearningRate"/> (nanoGPT: 0.1).</summary>
    public double MinLearningRateFraction { get; init; } = 0.1;

    /// <summary>Decoupled AdamW weight decay on the matrices and embeddings (not LayerNorm).</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>Clip the global gradient norm to this; <see cref="float.PositiveInfinity"/> does not clip.</summary>
    public float GradientClip { get; init; } = 1f;

    /// <summary>Evaluate the tuning loss every this many steps (and after the last); 0 never evaluates.</summary>
    public int EvalEvery { get; init; } = 100;

    /// <summary>Batches of fixed tuning windows per evaluation (each <see cref="BatchSize"/> windows).</summary>
    public int EvalBatches { get; init; } = 8;

    /// <summary>Save the resumable last checkpoint every this many steps; 0 saves only at the end or on cancellation.</summary>
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>Seeds the initial weights, the training windows and the dropout masks.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Worker threads of each CPU kernel. The kernels give the same bits for any count, so a run may resume
    /// with another.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The defaults.</summary>
    public static PretrainingSettings Default { get; } = new();

    /// <summary>The GPT these settings train over a vocabulary of <paramref name="vocabularySize"/> tokens.</summary>
    public GptConfig ModelConfig(int vocabularySize) =>
        new GptConfig(vocabularySize, Layers, Heads, Channels, ContextLength, Dropout).Validate();

    /// <summary>The AdamW hyper-parameters (β and ε are the project's).</summary>
    public AdamWSettings ToAdamWSettings() => AdamWSettings.Default with { WeightDecay = WeightDecay, MaxGradientNorm = GradientClip };

    /// <summary>Warmup then cosine decay over <see cref="Steps"/>.</summary>
    public LearningRateSchedule ToSchedule() => new(LearningRate, WarmupSteps, Steps, MinLearningRateFraction);

    /// <summary>The thread budget of the CPU kernels.</summary>
    public ComputeOptions ToComputeOptions() => new(Threads);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    /// <param name="prefixLength">The tokenizer's static prefix length: a window must leave room for timeline tokens.</param>
    /// <returns>These settings, for chaining.</returns>
    public PretrainingSettings Validate(int prefixLength)
    {
        Require(Layers > 0 && Heads > 0 && Channels > 0 && Channels % Heads == 0, nameof(Channels),
            $"needs Layers, Heads and Channels positive with Heads dividing Channels (were {Layers}, {Heads}, {Channels}).");
        Require(ContextLength > prefixLength + 1, nameof(ContextLength),
            $"({ContextLength}) must exceed the static prefix ({prefixLength} tokens) by at least 2 so a window holds a timeline token and its target.");
        Require(Dropout is >= 0f and < 1f, nameof(Dropout), $"must lie in [0, 1) (was {Dropout}).");
        Require(BatchSize > 0, nameof(BatchSize), $"must be positive (was {BatchSize}).");
        Require(Steps > 0, nameof(Steps), $"must be positive (was {Steps}).");
        Require(double.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), $"must be positive and finite (was {LearningRate}).");
        Require(WarmupSteps >= 0 && WarmupSteps <= Steps, nameof(WarmupSteps), $"must lie in [0, Steps = {Steps}] (was {WarmupSteps}).");
        Require(MinLearningRateFraction is >= 0 and <= 1, nameof(MinLearningRateFraction), $"must lie in [0, 1] (was {MinLearningRateFraction}).");
        Require(WeightDecay >= 0, nameof(WeightDecay), $"must not be negative (was {WeightDecay}).");
        Require(GradientClip > 0, nameof(GradientClip), $"must be positive (was {GradientClip}).");
        Require(EvalEvery >= 0, nameof(EvalEvery), $"must not be negative (was {EvalEvery}).");
        Require(EvalBatches > 0, nameof(EvalBatches), $"must be positive (was {EvalBatches}).");
        Require(CheckpointEvery >= 0, nameof(CheckpointEvery), $"must not be negative (was {CheckpointEvery}).");
        Require(Threads > 0, nameof(Threads), $"must be positive (was {Threads}).");
        Require(Enum.IsDefined(Windows), nameof(Windows), $"must be Anchored or Uniform (was {Windows}).");
        return this;
    }

    private static void Require(bool condition, string setting, string problem)
    {
        if (!condition)
            throw new ArgumentException($"PretrainingSettings.{setting} {problem}", setting);
    }
}
