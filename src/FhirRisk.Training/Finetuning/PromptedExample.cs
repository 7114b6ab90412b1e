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
public sealed record PromptedExample(long SubjectId, long PredictionTime, int[] Context, sbyte[] Labels)
{
    /// <summary>The label of a task the point has none for: it adds nothing to the loss or its gradient.</summary>
    public const sbyte Masked = -1;
}
