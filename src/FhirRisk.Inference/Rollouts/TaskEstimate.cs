namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// One task's answer from the rollouts of a request: the fraction of labelled rollouts that were positive, with its
/// Wilson interval. A rollout is labelled when its outcome has a label under the task's unresolved policy
/// (docs/tasks.md): stops and "positive after" always; time limit and <c>TIMELINE_END</c> only for tasks whose
/// unresolved outcome is negative. The rest are counted, not used.
/// </summary>
/// <param name="Task">The task name.</param>
/// <param name="Positives">k, positive rollouts.</param>
/// <param name="Labelled">n, rollouts with a label; the risk is k / n.</param>
/// <param name="Excluded">Rollouts the task's policy leaves out (time limit or <c>TIMELINE_END</c> for an in-stay task).</param>
/// <param name="Ambiguous">Rollouts that used up the token budget before settling the task.</param>
/// <param name="Interval">The Wilson interval of k of n.</param>
public sealed record TaskEstimate(string Task, int Positives, int Labelled, int Excluded, int Ambiguous, WilsonInterval Interval)
{
    /// <summary>k / n; NaN when no rollout has a label.</summary>
    public double Risk => Labelled == 0 ? double.NaN : (double)Positives / Labelled;

    /// <summary>
    /// The hazard estimate of the same risk: each rollout's summed probability that the next token settles the task
    /// positive (<see cref="RolloutJudge.Hazards"/>), added over the rollouts and divided by n, where k / n adds the
    /// positives (docs/inference.md "The hazard estimate"). Its numerator has k's expectation, with less variance. NaN when no rollout has a label, or when the sampling
    /// (top-k, top-p, greedy) leaves the drawing distribution other than softmax(logits / T).
    /// </summary>
    public double Hazard { get; init; } = double.NaN;
}
