namespace FhirRisk.Meds.Tasks;

/// <summary>
/// One subject's timed events as parallel arrays, sorted by time (static rows dropped). MEDS shards are already
/// sorted; a stable sort repairs other input without reordering events that share a time.
/// </summary>
public sealed class TaskTimeline
{
    private TaskTimeline(long subjectId, string split, DateTime[] times, string[] codes, long?[] encounterIds)
    {
        SubjectId = subjectId;
        Split = split;
        Times = times;
        Codes = codes;
        EncounterIds = encounterIds;
    }

    public long SubjectId { get; }

    public string Split { get; }

    public IReadOnlyList<DateTime> Times { get; }

    public IReadOnlyList<string> Codes { get; }

    /// <summary>Our <c>encounter_id</c> extension per event; all null for datasets without it.</summary>
    public IReadOnlyList<long?> EncounterIds { get; }

    public int Count => Codes.Count;

    public static TaskTimeline Of(MedsSubject subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        return Of(subject.SubjectId, subject.Split, subject.Events);
    }

    public static TaskTimeline Of(long subjectId, string split, IEnumerable<MedsEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var timed = events.Where(e => e.Time is not null).ToList();
        if (!IsSorted(timed))
            timed = [.. timed.OrderBy(e => e.Time!.Value)];
        // A date-only death is placed as the tokenizer places it (DateOnlyDeaths), so no prompt reads its own outcome.
        if (DateOnlyDeaths.Place(timed) is var placed && !ReferenceEquals(placed, timed))
            timed = [.. placed];
        return new TaskTimeline(
            subjectId,
            split,
            timed.Select(e => e.Time!.Value).ToArray(),
            timed.Select(e => e.Code).ToArray(),
            timed.Select(e => e.EncounterId).ToArray());
    }

    /// <summary>The index of the last event at the same time as event <paramref name="index"/>.</summary>
    public int LastAtSameTime(int index)
    {
        var time = Times[index];
        while (index + 1 < Count && Times[index + 1] == time)
            index++;
        return index;
    }

    /// <summary>The index of the first event at the same time as event <paramref name="index"/>.</summary>
    public int FirstAtSameTime(int index)
    {
        var time = Times[index];
        while (index > 0 && Times[index - 1] == time)
            index--;
        return index;
    }

    /// <summary>Whether two events may belong to one encounter: yes unless both carry different encounter ids.</summary>
    public bool MayShareEncounter(int first, int second) =>
        EncounterIds[first] is not { } a || EncounterIds[second] is not { } b || a == b;

    private static bool IsSorted(List<MedsEvent> events)
    {
        for (var i = 1; i < events.Count; i++)
        {
            if (events[i].Time < events[i - 1].Time)
                return false;
        }
        return true;
    }
}
