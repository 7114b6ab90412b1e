namespace FhirRisk.Meds;

/// <summary>
/// One placement of a death known only by its date, shared by the labels (<c>Tasks.TaskTimeline</c>) and the tokenizer
/// so that a prompt never reads a death its label is about. A date of death reaches MEDS at midnight
/// (MEDS_transforms writes MIMIC-IV's <c>dod</c> so), which puts it before everything else charted that day: an
/// admission, a live discharge or an ED visit later that day would read as coming after the death. A
/// <c>MEDS_DEATH</c> at exactly midnight followed by another timed event of the same day is therefore taken at the
/// day's last microsecond, as our FHIR ingestion places a date-only death. (A death really timed at midnight has no
/// events after it that day, so it does not move.)
/// </summary>
public static class DateOnlyDeaths
{
    /// <summary>
    /// <paramref name="events"/> (one subject; static rows first, then by time) with each such death moved to the end of
    /// its day, after the day's other events; everything else keeps its order. Returns <paramref name="events"/> itself
    /// when nothing moves.
    /// </summary>
    public static IReadOnlyList<MedsEvent> Place(IReadOnlyList<MedsEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return DayEndPlacement.Apply(events, i => Moves(events, i));
    }

    private static bool Moves(IReadOnlyList<MedsEvent> events, int index)
    {
        var death = events[index];
        if (death.Code != MedsSchema.DeathCode || death.Time is not { } day || day.TimeOfDay != TimeSpan.Zero)
            return false;
        var end = day.AddDays(1);
        for (var i = index + 1; i < events.Count; i++) // events are in time order: what follows it that day comes after it
        {
            if (events[i].Time is { } time && time > day && time < end && events[i].Code != MedsSchema.DeathCode)
                return true;
        }
        return false;
    }
}
