namespace FhirRisk.Inference.Scoring;

/// <summary>One labelled prediction point of a task, ready for rollouts.</summary>
/// <param name="SubjectId">The patient (MEDS <c>subject_id</c>).</param>
/// <param name="PredictionTime">The label's prediction time (UTC); the prompt holds the tokens at or before it.</param>
/// <param name="Label">The label (MEDS <c>boolean_value</c>).</param>
/// <param name="Prompt">The rollout prompt (<see cref="InferenceSession.RolloutPrompt(EncodedTimeline, int)"/>).</param>
/// <param name="HistoryTokens">Timeline tokens up to and including the point, before any cut to the context.</param>
public sealed record LabelledPoint(long SubjectId, DateTime PredictionTime, bool Label, int[] Prompt, int HistoryTokens)
{
    /// <summary>The question as the rollouts ask it: the label's own, at its point (null), or as the service would ask it
    /// earlier (<see cref="LabelledPointSelection.AskedBefore"/>).</summary>
    internal (Meds.Tasks.TaskDefinition Task, Rollouts.QuestionStart Start)? Asked { get; init; }
}
