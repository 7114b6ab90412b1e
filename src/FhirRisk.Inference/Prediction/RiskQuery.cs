using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Prediction;

/// <summary>What to predict: tasks at one prediction point of an encoded patient.</summary>
/// <param name="Timeline">The patient, encoded by the session's tokenizer (without <c>TIMELINE_END</c> for a live patient).</param>
/// <param name="Index">The prediction point: the last timeline token the model may read (<see cref="EncodedTimeline.IndexAt"/>).</param>
/// <param name="Tasks">Task names, in the order answers are wanted.</param>
public sealed record RiskQuery(EncodedTimeline Timeline, int Index, IReadOnlyList<string> Tasks)
{
    /// <summary>Rollouts: exactly this many rollouts instead of the adaptive count; null: the session's settings. Heads ignore it.</summary>
    public int? Rollouts { get; init; }

    /// <summary>Rollouts: the generation seed; null: <see cref="Rollouts.RolloutSettings.Seed"/>. Heads ignore it.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Rollouts: the coverage of the Wilson interval, in (0, 1). Default 0.95. Heads ignore it (they have none).</summary>
    public double IntervalLevel { get; init; } = 0.95;

    /// <summary>
    /// When the question is asked (UTC): the cut-off the timeline was read to, at or after the time of
    /// <see cref="Index"/>. The time since the record's last event counts toward the open question's clock, so a window
    /// that has passed with nothing recorded is settled (docs/inference.md "Asked mid-stay"); null: at the index's own
    /// time, as a labelled point is asked.
    /// </summary>
    public DateTime? AsOf { get; init; }

    /// <summary>The query at <paramref name="predictionTime"/>: every token at or before it is context, and the question
    /// is asked then (<see cref="AsOf"/>).</summary>
    public static RiskQuery At(EncodedTimeline timeline, DateTime predictionTime, IReadOnlyList<string> tasks)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        var micros = (predictionTime.ToUniversalTime() - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        return new RiskQuery(timeline, timeline.IndexAt(micros), tasks) { AsOf = predictionTime.ToUniversalTime() };
    }
}
