using FhirRisk.Core;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// One prediction point to answer by rollouts: the prompt the model continues and the tasks to judge each continuation
/// by. All tasks share the rollouts: each rollout runs until every task is settled, and a task's answer depends only on
/// the tokens up to the moment it settled, so asking for more tasks never changes another task's answer.
/// </summary>
/// <param name="Prompt">The static prefix then the timeline up to and including the prediction point
/// (<see cref="InferenceSession.RolloutPrompt"/>); longer than the context, it is cut by <see cref="ContextWindow"/>.</param>
/// <param name="Tasks">The tasks, in the order results are reported.</param>
/// <param name="Settings">How many rollouts and how they are sampled.</param>
public sealed record RolloutRequest(int[] Prompt, IReadOnlyList<TaskDefinition> Tasks, RolloutSettings Settings)
{
    /// <summary>
    /// Picks the request's random streams together with <see cref="RolloutSettings.Seed"/>. Defaults to a stable hash
    /// of the prompt, so the same question with the same seed gets the same rollouts whenever and with whatever company
    /// it is asked; set it to tell identical prompts apart.
    /// </summary>
    public ulong Key { get; init; } = HashOf(Prompt);

    /// <summary>
    /// Per task, how far its question had run at the prompt's last token (<see cref="StayClock.Ask"/>); the judge then
    /// follows the labels' edge rules as well as the task rows (<see cref="RolloutJudge"/>). Null: the task rows only,
    /// as for generated trajectories, whose pseudo-task is no label's.
    /// </summary>
    public IReadOnlyList<QuestionStart>? Starts { get; init; }

    /// <summary>The Philox key of this request's rollouts: rollout i draws stream i, word t for its t-th token.</summary>
    internal ulong StreamKey => StableHash.Mix(Settings.Seed ^ StableHash.Mix(Key));

    private static ulong HashOf(int[] prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var hash = StableHash.Mix((ulong)prompt.Length);
        foreach (var token in prompt)
            hash = StableHash.Mix(hash ^ (uint)token);
        return hash;
    }
}

/// <summary>Where a task's question stands at a rollout prompt's last token (<see cref="StayClock.Ask"/>).</summary>
/// <param name="Spent">The time since the question's anchor (its stay's start, or for a stay-end task the stay's end).</param>
/// <param name="InStay">Whether it has an anchor: asked within the open stay (or, for a stay-end task, after the stay's
/// end) it is the label's question; false when asked afresh at the index, where only the task rows apply.</param>
public readonly record struct QuestionStart(TimeSpan Spent, bool InStay)
{
    /// <summary>
    /// The quiet time: from the prompt's last event to when the question is asked (<see cref="Prediction.RiskQuery.AsOf"/>),
    /// with nothing recorded in between. The record shows the question still open then, so a rollout whose task settles
    /// (a positive, or a stop) within it contradicts the record and is left out, and the hazards count only the chance of
    /// settling positive from then on: the answer is the risk given that nothing happened during the quiet time
    /// (docs/inference.md "Asked mid-stay"). Zero: asked at the last event.
    /// </summary>
    public TimeSpan Quiet { get; init; }

    /// <summary>
    /// A task predicted at a stay's end (readmission, ED re-attendance) asked while the patient is still in a stay of its
    /// kind: its question starts at the stay's coming end, so each rollout generates on to that end and the task's window
    /// opens there (<see cref="Spent"/> zero), as the label's own point would be (docs/inference.md "Asked inside the
    /// stay"). A future in which the point would not exist is left out: a death before or at the end of a live-discharge
    /// task's stay, an admission from the visit of a not-admitted task's, an end within the quiet time, or the record
    /// ending first.
    /// </summary>
    public bool AwaitsEnd { get; init; }

    /// <summary>
    /// With <see cref="AwaitsEnd"/> and no quiet time: a stop code of the task that the record already holds at the
    /// prompt's last timestamp (the stay's own admission, asked at it). The labels read every event at a point's time, so
    /// an end generated at that same time makes the outcome known at prediction.
    /// </summary>
    public string? StopAtPrompt { get; init; }

    /// <summary>At the prediction point itself, as a labelled point is.</summary>
    public static QuestionStart AtPoint { get; } = new(TimeSpan.Zero, true);
}
