using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// The answer to a <see cref="RolloutRequest"/>: one estimate per task, from rollouts 0 … <see cref="Rollouts"/> − 1.
/// Everything here is a function of the model, the prompt, the tasks and the settings only: rollouts the scheduler had
/// started past the stopping count are discarded, not counted.
/// </summary>
/// <param name="Tasks">Per task, in request order.</param>
/// <param name="Rollouts">Rollouts counted (the adaptive stopping count).</param>
/// <param name="GeneratedTokens">Tokens those rollouts generated.</param>
/// <param name="Outcomes">(rollout, task) each counted rollout's outcome per task; null where ambiguous.</param>
/// <param name="Tokens">Each counted rollout's generated tokens, when <see cref="RolloutSettings.KeepTokens"/>; else empty.</param>
public sealed record RolloutResult(
    IReadOnlyList<TaskEstimate> Tasks,
    int Rollouts,
    long GeneratedTokens,
    IReadOnlyList<IReadOnlyList<TaskOutcome?>> Outcomes,
    IReadOnlyList<int[]> Tokens)
{
    /// <summary>(rollout, task) each counted rollout's summed hazard per task (<see cref="RolloutJudge.Hazards"/>);
    /// null for a rollout that tracked none (top-k, top-p or greedy sampling).</summary>
    public IReadOnlyList<IReadOnlyList<double>?> Hazards { get; init; } = [];
}
