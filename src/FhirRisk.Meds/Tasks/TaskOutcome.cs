namespace FhirRisk.Meds.Tasks;

/// <summary>How a prediction point's question was settled.</summary>
public enum TaskOutcomeKind
{
    /// <summary>A stop code came within the time limit; <see cref="TaskOutcome.Code"/> names it.</summary>
    Stop,

    /// <summary><see cref="TaskDefinition.PositiveAfter"/> elapsed before any stop (prolonged stay).</summary>
    Duration,

    /// <summary>Nothing stopped within <see cref="TaskDefinition.TimeLimit"/>.</summary>
    TimeLimit,

    /// <summary>
    /// Observation ended first: the timeline ended (a rollout's <c>TIMELINE_END</c>), or the point's stay has no end on
    /// the timeline and the next stay of its kind began.
    /// </summary>
    Censored,

    /// <summary>A stop code shares the prediction timestamp, so the model would see the answer; the point is left out.</summary>
    KnownAtPrediction,

    /// <summary>
    /// Rollouts only: the sampled future is one in which the prediction point would not exist (an ED visit "not
    /// admitted" that a generated admission within the grace admits after all), so it is left out. Labels never give it:
    /// they do not make such a point.
    /// </summary>
    NotAPoint,

    /// <summary>
    /// Predictors only: asked when the record already shows the patient's death and no stay of the task's kind is open
    /// (died at home after a discharge; for a stay-end task, no live discharge since), so no prediction point of the task
    /// can come; <see cref="TaskOutcome.Code"/> names the death. Labels never give it: they make no point after a death.
    /// </summary>
    Deceased,
}

/// <summary>The settled outcome of one prediction point.</summary>
/// <param name="Kind">How it was settled.</param>
/// <param name="Label">The label, or null when the point is left out (see <see cref="UnresolvedOutcome"/>).</param>
/// <param name="Elapsed">Time from the prediction time to the deciding event (for <see cref="TaskOutcomeKind.Duration"/>
/// and <see cref="TaskOutcomeKind.TimeLimit"/> the threshold itself); null at the timeline end.</param>
/// <param name="Code">The deciding code for <see cref="TaskOutcomeKind.Stop"/> and <see cref="TaskOutcomeKind.KnownAtPrediction"/>.</param>
public sealed record TaskOutcome(TaskOutcomeKind Kind, bool? Label, TimeSpan? Elapsed = null, string? Code = null)
{
    private static readonly string[] s_kindNames = ["stop", "duration", "time_limit", "censored", "known_at_prediction", "not_a_point", "deceased"];

    /// <summary>The snake_case name of <see cref="Kind"/> written to the stays table.</summary>
    public string KindName => s_kindNames[(int)Kind];

    /// <summary>The kind a <see cref="KindName"/> names; throws <see cref="FormatException"/> for an unknown name.</summary>
    public static TaskOutcomeKind ParseKind(string name) =>
        Array.IndexOf(s_kindNames, name) is var index and >= 0 ? (TaskOutcomeKind)index : throw new FormatException($"Unknown outcome '{name}'.");
}
