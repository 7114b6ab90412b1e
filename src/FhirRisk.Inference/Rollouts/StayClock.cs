using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// How long the stay a task asks about has already lasted at a timeline index, so a rollout started mid-stay asks the
/// task's own question (ARES's dynamic in-stay risk, ethos.md §3.4; <see cref="TaskDefinition.After"/>): a stay of
/// 6 days is prolonged (≥ 10 days) if it lasts 4 more, not 10 more.
/// </summary>
internal static class StayClock
{
    /// <summary>
    /// The time from the open stay's start to <paramref name="index"/>: the last start code of the task's stay kind at or
    /// before the index, with no end code of that kind after it up to and including the index. Zero when no such stay is
    /// open, and for tasks asked at a stay's end (readmission counts from the discharge itself).
    /// </summary>
    public static TimeSpan Spent(TokenMeanings meanings, EncodedTimeline timeline, int index, TaskDefinition task)
    {
        if (task.Point.At != StayBoundary.Start)
            return TimeSpan.Zero;
        var tokens = timeline.Tokens;
        var times = timeline.Times;
        var stay = task.Point.Stay;
        for (var i = index; i >= 0; i--)
        {
            var code = meanings.CodeOf(tokens[i]);
            if (CodeSet.Matches(code, stay.StartCode))
                return TimeSpan.FromTicks((times[index] - times[i]) * TimeSpan.TicksPerMicrosecond);
            if (CodeSet.Matches(code, stay.EndCode))
                return TimeSpan.Zero;
        }
        return TimeSpan.Zero;
    }

    /// <summary><paramref name="task"/> as asked at <paramref name="index"/> of the timeline.</summary>
    public static TaskDefinition At(TokenMeanings meanings, EncodedTimeline timeline, int index, TaskDefinition task) =>
        task.After(Spent(meanings, timeline, index, task));
}
