using FhirRisk.Inference.Explanations;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference;

/// <summary>How an <see cref="InferenceSession"/> runs (docs/inference.md). Immutable; hosts bind it from configuration.</summary>
public sealed record InferenceOptions
{
    public static InferenceOptions Default { get; } = new();

    /// <summary>Kernel threads on the CPU backend. Default: one per core.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The task catalog's numbers (prolonged stay, windows, horizon). Null, the default: those the model's heads
    /// were trained on (their finetuning record's <c>task_parameters</c>), else the peers' values. A value that differs
    /// from the heads' record is refused when the model is opened: heads answer the definition they learnt.</summary>
    public TaskParameters? TaskParameters { get; init; }

    /// <summary>Rollout counts, precision target, token budget and sampling for the rollout predictor.</summary>
    public RolloutSettings Rollouts { get; init; } = RolloutSettings.Default;

    /// <summary>The KV-cache memory cap, slot limit and window slide of the rollout scheduler.</summary>
    public RolloutSchedulerOptions Scheduler { get; init; } = RolloutSchedulerOptions.Default;

    /// <summary>Fact grouping, budget and rollout count of explanations (<see cref="IRiskExplainer"/>).</summary>
    public ExplanationSettings Explanations { get; init; } = ExplanationSettings.Default;

    /// <summary>Throws naming the first invalid setting.</summary>
    public InferenceOptions Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Threads, 1, nameof(Threads));
        ArgumentNullException.ThrowIfNull(Rollouts);
        ArgumentNullException.ThrowIfNull(Scheduler);
        ArgumentNullException.ThrowIfNull(Explanations);
        TaskParameters?.Validate();
        Rollouts.Validate();
        Explanations.Validate();
        return this;
    }
}
