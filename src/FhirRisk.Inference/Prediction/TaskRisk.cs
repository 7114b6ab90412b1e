using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference.Prediction;

/// <summary>How a risk was computed.</summary>
public enum RiskMethod
{
    /// <summary>Zero-shot: sampled continuations, counted (ETHOS) or with their hazards summed (<see cref="RolloutEstimator"/>).</summary>
    Rollouts,

    /// <summary>Finetuned: a calibrated head on the hidden state at the task token (EHRMamba's MPF).</summary>
    Heads,
}

/// <summary>One task's answer.</summary>
/// <param name="Task">The task name.</param>
/// <param name="Risk">The probability of the outcome; NaN when no rollout could be labelled for the task.</param>
/// <param name="Interval">The rollout estimate's Wilson interval (<see cref="TaskEstimate.AnswerInterval"/>); null for
/// heads, whose single deterministic forward pass has no sampling error (their calibration is measured by
/// <c>fhirrisk evaluate</c>), and for an <see cref="Observed"/> outcome.</param>
/// <param name="Method">Rollouts or heads.</param>
/// <param name="N">Rollouts labelled for the task (the n of k / n); 0 for heads.</param>
/// <param name="Latency">Wall time from the call to the answer (all tasks of one call share it).</param>
/// <param name="Estimator">Rollouts: which estimate the risk is, the hazard estimate or k / n; null for heads.</param>
/// <param name="Recalibrated">Rollouts: the risk and its interval went through the model's rollout recalibration
/// (<see cref="RolloutCalibration"/>); false for raw estimates and for heads (whose calibration is always applied).</param>
public sealed record TaskRisk(string Task, double Risk, WilsonInterval? Interval, RiskMethod Method, int N, TimeSpan Latency, RolloutEstimator? Estimator = null,
    bool Recalibrated = false)
{
    /// <summary>
    /// The outcome the record already shows at the prediction point, read by the labels' own rules from the open stay's
    /// events (an ICU admission an hour ago; docs/inference.md "Asked mid-stay"); null when it was predicted. Either
    /// method reads it, before its model: when set, no rollout ran and no head was read, <see cref="Risk"/> is 1 for a
    /// positive outcome, 0 for a negative one and NaN for one the task leaves out (a stay past its time limit, a
    /// discharge the patient did not leave alive), with no interval, N = 0 and no estimator; <see cref="Method"/> names
    /// the predictor that was asked.
    /// </summary>
    public TaskOutcome? Observed { get; init; }

    /// <summary>Where in the record <see cref="Observed"/> was read (the open stay, an ended one, or the time after a
    /// discharge, and since when); null when it was predicted, and for <see cref="TaskOutcomeKind.Deceased"/>.</summary>
    public ObservedSpan? ObservedIn { get; init; }

    /// <summary>
    /// A task predicted at a stay's end (readmission, ED re-attendance) asked while that stay is still open (no discharge
    /// in the record yet; <see cref="Rollouts.QuestionStart.AwaitsEnd"/>). The rollouts then ask the label's question at
    /// the stay's coming end; the heads read their head at the index, a kind of point they were not finetuned at (the
    /// demo model's readmission head reads about half the observed rate there, docs/cds-hooks.md).
    /// </summary>
    public bool BeforeStayEnd { get; init; }

    /// <summary>The answer of an outcome already in the record (<see cref="Observed"/>), by the predictor of
    /// <paramref name="method"/>.</summary>
    /// <param name="where">Where in the record it was read (<see cref="ObservedIn"/>).</param>
    public static TaskRisk OfObserved(string task, TaskOutcome outcome, TimeSpan latency, RiskMethod method = RiskMethod.Rollouts, ObservedSpan? where = null)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return new TaskRisk(task, RiskOf(outcome), null, method, 0, latency) { Observed = outcome, ObservedIn = where };
    }

    /// <summary>1 for a positive outcome, 0 for a negative one, NaN for one without a label.</summary>
    public static double RiskOf(TaskOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Label switch { true => 1, false => 0, null => double.NaN };
    }
}
