using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// The answer to a <see cref="RolloutRequest"/>: one estimate per task, from the answering rollouts — 0 … n − 1 with a
/// fixed count or sequential stopping, P … P + n − 1 after a pilot of P (<see cref="Pilot"/>), which no answer reads.
/// Everything here is a function of the model, the prompt, the tasks and the settings only: rollouts the scheduler had
/// started past the count are discarded, not counted.
/// </summary>
/// <param name="Tasks">Per task, in request order.</param>
/// <param name="Rollouts">Answering rollouts (the longest task's count; the pilot's not included).</param>
/// <param name="GeneratedTokens">Tokens the request's rollouts generated, the pilot's included (its cost).</param>
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

    /// <summary>The pilot rollouts run before the answering ones to decide the counts (0: none); part of the cost.</summary>
    public int Pilot { get; init; }

    /// <summary>Every rollout the request ran: the pilot and the answering ones.</summary>
    public int RolloutsRun => Pilot + Rollouts;
}
