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
/// <remarks>The request is answered with <see cref="Answer"/> and <see cref="AnswerInterval"/>: the hazard estimate by
/// default, k / n where asked (<see cref="RolloutSettings.Estimator"/>).</remarks>
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

    /// <summary>The interval of <see cref="Hazard"/> (<see cref="HazardEstimate.Of"/>); [0, 1] when it is NaN.</summary>
    public WilsonInterval HazardInterval { get; init; } = new(0, 1);

    /// <summary>Which estimate answers: the request's <see cref="RolloutSettings.Estimator"/>, or
    /// <see cref="RolloutEstimator.Count"/> when the sampling gave no hazard.</summary>
    public RolloutEstimator Estimator { get; init; } = RolloutEstimator.Count;

    /// <summary>The answer: <see cref="Hazard"/> or k / n, as <see cref="Estimator"/> says; NaN when no rollout has a label.</summary>
    public double Answer => Estimator == RolloutEstimator.Hazard ? Hazard : Risk;

    /// <summary>The interval of <see cref="Answer"/>.</summary>
    public WilsonInterval AnswerInterval => Estimator == RolloutEstimator.Hazard ? HazardInterval : Interval;
}

/// <summary>Which estimate of a rollout risk a request is answered with (docs/inference.md "The hazard estimate").</summary>
public enum RolloutEstimator
{
    /// <summary>k / n, the fraction of labelled rollouts that were positive (ETHOS), with its Wilson interval.</summary>
    Count,

    /// <summary>The rollouts' summed hazards over n: the same expectation with less noise, with
    /// <see cref="HazardEstimate"/>'s interval. Needs plain ancestral sampling; otherwise the count answers.</summary>
    Hazard,
}
