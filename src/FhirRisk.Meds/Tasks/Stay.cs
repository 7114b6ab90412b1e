namespace FhirRisk.Meds.Tasks;

/// <summary>One stay on a timeline: the indices of its start and end events; either may be missing.</summary>
/// <param name="StartIndex">The start event, or null for an end without a start (the timeline begins mid-stay).</param>
/// <param name="EndIndex">The end event, or null when the stay never ends on the timeline (missing discharge).</param>
public readonly record struct Stay(int? StartIndex, int? EndIndex)
{
    /// <summary>
    /// Pairs the start and end events of <paramref name="kind"/> on <paramref name="timeline"/>, ordered by where each
    /// stay appears. An end closes the most recent open stay it may share an encounter with: the same
    /// <c>encounter_id</c> when both events carry one, else simply the most recent. So with encounter ids overlapping
    /// stays pair correctly; without them, a start followed by another start leaves the first stay open (its end is
    /// missing) rather than giving it the second stay's end. Within one timestamp, ends first close stays opened
    /// earlier (a transfer: discharge and new admission at one time), and only then stays opened at that time.
    /// </summary>
    public static IReadOnlyList<Stay> Find(TaskTimeline timeline, StayKind kind)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(kind);
        var open = new List<int>();
        var stays = new List<Stay>();
        var sameTimeEnds = new List<int>();
        for (var first = 0; first < timeline.Count; first = timeline.LastAtSameTime(first) + 1)
        {
            var last = timeline.LastAtSameTime(first);
            for (var i = first; i <= last; i++)
            {
                if (CodeSet.Matches(timeline.Codes[i], kind.EndCode))
                {
                    if (TryClose(timeline, open, i) is { } stay)
                        stays.Add(stay);
                    else
                        sameTimeEnds.Add(i);
                }
            }
            for (var i = first; i <= last; i++)
            {
                if (CodeSet.Matches(timeline.Codes[i], kind.StartCode))
                    open.Add(i);
            }
            foreach (var end in sameTimeEnds)
                stays.Add(TryClose(timeline, open, end) ?? new Stay(null, end));
            sameTimeEnds.Clear();
        }
        stays.AddRange(open.Select(start => new Stay(start, null)));
        stays.Sort(static (a, b) => (a.StartIndex ?? a.EndIndex!.Value).CompareTo(b.StartIndex ?? b.EndIndex!.Value));
        return stays;
    }

    private static Stay? TryClose(TaskTimeline timeline, List<int> open, int end)
    {
        for (var k = open.Count - 1; k >= 0; k--)
        {
            if (timeline.MayShareEncounter(open[k], end))
            {
                var start = open[k];
                open.RemoveAt(k);
                return new Stay(start, end);
            }
        }
        return null;
    }
}
