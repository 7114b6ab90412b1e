using System.Text.Json;
using FhirRisk.Model;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;

namespace FhirRisk.Training.Finetuning;

/// <summary>
/// How a multitask prompted finetuning run trains (issue 6 item 2, docs/finetuning.md): the batch and steps, whether the
/// backbone is frozen or trained at its own (lower) learning rate, the heads' learning rate, warmup and cosine decay for
/// both, class weighting, the seed and the thread budget. Immutable.
/// </summary>
public sealed record FinetuningSettings
{
    /// <summary>Optimizer steps; each takes <see cref="BatchSize"/> prediction points with all their task labels.</summary>
    public int Steps { get; init; } = 500;

    /// <summary>B, prediction points per step.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>
    /// T of the finetuned model, task tokens included: each point's context is its static prefix plus the most recent
    /// tokens that fit. 0 keeps the pretrained model's context; a shorter one keeps the first T rows of the position
    /// embedding, so a backbone pretrained on long windows can be finetuned and served on short ones (docs/finetuning.md
    /// "Context"). Never longer than the pretrained model's.
    /// </summary>
    public int ContextLength { get; init; }

    /// <summary>
    /// H, the most diagnosis categories of the history block written after each point's timeline, just before the task
    /// tokens (docs/finetuning.md "Sequence layout"): the distinct categories charted up to the point, the most recent when
    /// there are more. Its ids come out of the timeline's share of the context. 0 writes no block. Saved in
    /// <c>heads.json</c>, so scoring and serving build the same contexts.
    /// </summary>
    public int HistoryCodes { get; init; }

    /// <summary>Keep every backbone weight (and the new task-token rows) fixed and train only the heads, on hidden states
    /// computed once; otherwise the backbone trains too, at <see cref="BackboneLearningRate"/>.</summary>
    public bool FreezeBackbone { get; init; }

    /// <summary>Peak learning rate of the backbone (EHRMamba finetunes at 5e-5; a tenth of our pretraining default).</summary>
    public double BackboneLearningRate { get; init; } = 1e-4;

    /// <summary>Peak learning rate of the heads, which start at zero.</summary>
    public double HeadLearningRate { get; init; } = 1e-3;

    /// <summary>Steps of linear warmup, for both learning rates.</summary>
    public int WarmupSteps { get; init; } = 50;

    /// <summary>The cosine's floor as a fraction of each peak.</summary>
    public double MinLearningRateFraction { get; init; } = 0.1;

    /// <summary>Decoupled AdamW weight decay of the backbone's matrices and embeddings.</summary>
    public double BackboneWeightDecay { get; init; } = 0.1;

    /// <summary>Decoupled AdamW weight decay of the head weights (not the biases).</summary>
    public double HeadWeightDecay { get; init; } = 0.01;

    /// <summary>Clip each optimizer's global gradient norm to this.</summary>
    public float GradientClip { get; init; } = 1f;

    /// <summary>Weight each task's positives by its train negatives / positives, so rare outcomes count as much as
    /// common ones; calibration on the tuning split then restores the probabilities (Platt moves the intercept back).</summary>
    public bool BalancePositives { get; init; }

    /// <summary>
    /// Decay of an exponential moving average of every trained weight (backbone, task-token rows and heads), taken after
    /// each step and kept as the result in place of the last step's weights (Polyak averaging); 0 keeps the last step's.
    /// </summary>
    public double WeightAverageDecay { get; init; }

    /// <summary>
    /// Also train the backbone on the next-token loss of each point's timeline (GPT-1's auxiliary language-model
    /// objective): the mean cross-entropy of the context's timeline tokens, as pretraining computes it, is added to the
    /// heads' loss, so the backbone keeps predicting the record while it learns the tasks. Off: the heads' loss alone.
    /// </summary>
    public bool LanguageModelLoss { get; init; }

    /// <summary>Drop probability of the backbone while finetuning (embeddings, attention and MLP outputs); null keeps the
    /// pretrained model's. It is stored in the finetuned model's config; inference never drops.</summary>
    public float? Dropout { get; init; }

    /// <summary>Seeds the task-token rows, the order of the points and the dropout masks.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Worker threads of each CPU kernel.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The largest history block: more categories than this crowd the recent timeline out of a short context.</summary>
    public const int MaxHistoryCodes = 64;

    /// <summary>The defaults.</summary>
    public static FinetuningSettings Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public FinetuningSettings Validate()
    {
        Require(Steps >= 1, nameof(Steps), "must be at least 1");
        Require(BatchSize >= 1, nameof(BatchSize), "must be at least 1");
        Require(ContextLength >= 0, nameof(ContextLength), "must not be negative (0: the pretrained model's)");
        Require(HistoryCodes is >= 0 and <= MaxHistoryCodes, nameof(HistoryCodes), $"must lie in [0, {MaxHistoryCodes}] (0: no history block)");
        Require(BackboneLearningRate is >= 0 and < 1, nameof(BackboneLearningRate), "must lie in [0, 1)");
        Require(HeadLearningRate is > 0 and < 10, nameof(HeadLearningRate), "must lie in (0, 10)");
        Require(WarmupSteps >= 0 && WarmupSteps <= Steps, nameof(WarmupSteps), "must lie in [0, Steps]");
        Require(MinLearningRateFraction is >= 0 and <= 1, nameof(MinLearningRateFraction), "must lie in [0, 1]");
        Require(BackboneWeightDecay >= 0 && HeadWeightDecay >= 0, nameof(HeadWeightDecay), "must not be negative");
        Require(GradientClip > 0, nameof(GradientClip), "must be positive");
        Require(WeightAverageDecay is >= 0 and < 1, nameof(WeightAverageDecay), "must lie in [0, 1) (0: no averaging)");
        Require(!(LanguageModelLoss && FreezeBackbone), nameof(LanguageModelLoss), "trains the backbone, which FreezeBackbone keeps fixed");
        Require(Dropout is null or (>= 0f and < 1f), nameof(Dropout), "must lie in [0, 1) (null: the pretrained model's)");
        Require(Threads >= 1, nameof(Threads), "must be at least 1");
        return this;
    }

    /// <summary>The finetuned model's T for a backbone of context <paramref name="pretrainedContextLength"/>.</summary>
    /// <exception cref="ArgumentException"><see cref="ContextLength"/> is longer than the backbone's.</exception>
    public int ContextFor(int pretrainedContextLength)
    {
        if (ContextLength > pretrainedContextLength)
            throw new ArgumentException($"FinetuningSettings.ContextLength {ContextLength} is longer than the pretrained model's context of {pretrainedContextLength}; the position embedding has no rows beyond it. Hint: finetune with a context of at most {pretrainedContextLength}, or pretrain with a longer one.", nameof(ContextLength));
        return ContextLength == 0 ? pretrainedContextLength : ContextLength;
    }

    /// <summary>Writes the settings as the fields of a JSON object (<c>finetuning.json</c>'s <c>settings</c>, the demo
    /// recipe's <c>finetuning</c>; docs/formats/heads.md), with <paramref name="contextLength"/> as <c>context_length</c>.
    /// The seed is left to the caller.</summary>
    internal void WriteFields(Utf8JsonWriter json, int contextLength)
    {
        json.WriteNumber("steps", Steps);
        json.WriteNumber("batch_size", BatchSize);
        json.WriteNumber("context_length", contextLength);
        json.WriteNumber("history_codes", HistoryCodes);
        json.WriteBoolean("freeze_backbone", FreezeBackbone);
        json.WriteNumber("backbone_learning_rate", BackboneLearningRate);
        json.WriteNumber("head_learning_rate", HeadLearningRate);
        json.WriteNumber("warmup_steps", WarmupSteps);
        json.WriteNumber("min_learning_rate_fraction", MinLearningRateFraction);
        json.WriteNumber("backbone_weight_decay", BackboneWeightDecay);
        json.WriteNumber("head_weight_decay", HeadWeightDecay);
        json.WriteNumber("gradient_clip", GradientClip);
        json.WriteBoolean("balance_positives", BalancePositives);
        json.WriteNumber("weight_average_decay", WeightAverageDecay);
        if (Dropout is { } dropout)
            json.WriteNumber("dropout", dropout);
        else
            json.WriteNull("dropout");
        json.WriteBoolean("language_model_loss", LanguageModelLoss);
    }

    internal LearningRateSchedule BackboneSchedule() => new(BackboneLearningRate, WarmupSteps, Steps, MinLearningRateFraction);

    internal LearningRateSchedule HeadSchedule() => new(HeadLearningRate, WarmupSteps, Steps, MinLearningRateFraction);

    internal AdamWSettings BackboneAdamW() => AdamWSettings.Default with { WeightDecay = BackboneWeightDecay, MaxGradientNorm = GradientClip };

    internal AdamWSettings HeadAdamW() => AdamWSettings.Default with { WeightDecay = HeadWeightDecay, MaxGradientNorm = GradientClip };

    internal ComputeOptions ToComputeOptions() => new(Threads);

    private static void Require(bool condition, string setting, string problem)
    {
        if (!condition)
            throw new ArgumentException($"FinetuningSettings.{setting} {problem}.", setting);
    }
}
