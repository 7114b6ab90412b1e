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
        var deathsMoved = MoveDateOnlyDeathsPastLiveDischarges(timed);
        if (deathsMoved || !IsSorted(timed))
            timed = [.. timed.OrderBy(e => e.Time!.Value)];
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

    /// <summary>
    /// A date of death known only as a date reaches MEDS at midnight (MEDS_transforms writes MIMIC-IV's <c>dod</c> so),
    /// which puts it before everything else of that day. When the same day holds a live hospital discharge after it, the
    /// patient left hospital alive that day: the death is taken at the day's end, as our ingestion places a date-only
    /// death, so the stay is not an in-hospital death and the discharge is a readmission point whose 30 days hold the death.
    /// </summary>
    private static bool MoveDateOnlyDeathsPastLiveDischarges(List<MedsEvent> timed)
    {
        var moved = false;
        for (var i = 0; i < timed.Count; i++)
        {
            var death = timed[i];
            if (death.Code != MedsSchema.DeathCode || death.Time!.Value.TimeOfDay != TimeSpan.Zero)
                continue;
            var day = death.Time.Value;
            var liveDischarge = timed.Any(e => e.Time > day && e.Time < day.AddDays(1)
                && CodeSet.Matches(e.Code, TaskCodes.HospitalDischarge) && !TaskCodes.Death.Contains(e.Code));
            if (liveDischarge)
            {
                timed[i] = death with { Time = day.AddDays(1).AddTicks(-10) };
                moved = true;
            }
        }
        return moved;
    }

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
