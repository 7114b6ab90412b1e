namespace FhirRisk.Meds;

/// <summary>
/// Moves chosen events of a subject to the last microsecond of their day and merges them after that day's other
/// events; every other event keeps its place (so input out of time order stays so, and is refused where it was).
/// Shared by the tokenizer's day-end codes and the placement of date-only deaths.
/// </summary>
public static class DayEndPlacement
{
    private static readonly TimeSpan s_lastMicrosecond = TimeSpan.FromDays(1) - TimeSpan.FromTicks(10);

    /// <summary><paramref name="events"/> with each event whose index <paramref name="moves"/> accepts (a timed event at
    /// exactly midnight) at its day's end; <paramref name="events"/> itself when none moves.</summary>
    public static IReadOnlyList<MedsEvent> Apply(IReadOnlyList<MedsEvent> events, Func<int, bool> moves)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(moves);
        List<MedsEvent>? moved = null;
        List<MedsEvent>? kept = null;
        for (var i = 0; i < events.Count; i++)
        {
            if (moves(i))
            {
                kept ??= [.. events.Take(i)]; // none before the first to move moved
                (moved ??= []).Add(events[i] with { Time = events[i].Time!.Value + s_lastMicrosecond });
            }
            else
            {
                kept?.Add(events[i]);
            }
        }
        if (moved is null)
            return events;
        moved.Sort((a, b) => Nullable.Compare(a.Time, b.Time));
        var merged = new List<MedsEvent>(events.Count);
        var next = 0;
        foreach (var ev in kept!)
        {
            while (next < moved.Count && ev.Time is { } time && moved[next].Time < time)
                merged.Add(moved[next++]);
            merged.Add(ev);
        }
        while (next < moved.Count)
            merged.Add(moved[next++]);
        return merged;
    }
}
