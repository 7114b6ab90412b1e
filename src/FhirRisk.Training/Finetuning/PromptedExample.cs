using FhirRisk.Model.Heads;

namespace FhirRisk.Training.Finetuning;

/// <summary>
/// One prediction point of one subject, ready to prompt: the context (static prefix and the timeline up to the point)
/// and a label per task, with <see cref="Masked"/> where the point has no label for that task.
/// </summary>
/// <param name="SubjectId">The subject.</param>
/// <param name="PredictionTime">µs since 1970; the context holds the tokens at or before it.</param>
/// <param name="Context">The static prefix then the last timeline tokens up to the point, at most T − K ids.</param>
/// <param name="Labels">(K) 1 positive, 0 negative, <see cref="Masked"/> no label, in <see cref="TaskHeads.Tasks"/> order.</param>
/// <param name="TimelineStart">The ids of the static prefix before the timeline (0: the context is all timeline).</param>
/// <param name="HistoryLength">The ids of the history block at the context's end (0: none); the timeline ends before them.</param>
public sealed record PromptedExample(long SubjectId, long PredictionTime, int[] Context, sbyte[] Labels, int TimelineStart = 0, int HistoryLength = 0)
{
    /// <summary>
    /// Writes the next-token targets of the context's timeline into <paramref name="targets"/> (one per context position,
    /// <paramref name="ignore"/> elsewhere): as in pretraining, position j predicts id j + 1 where that id is a timeline
    /// token, so the last prefix position predicts the first timeline token and neither the prefix nor the history block is
    /// ever a target.
    /// </summary>
    public void NextTokenTargets(Span<int> targets, int ignore)
    {
        targets.Fill(ignore);
        var end = Context.Length - HistoryLength;
        for (var j = Math.Max(TimelineStart - 1, 0); j < end - 1; j++)
            targets[j] = Context[j + 1];
    }

    /// <summary>The label of a task the point has none for: it adds nothing to the loss or its gradient.</summary>
    public const sbyte Masked = -1;
}
