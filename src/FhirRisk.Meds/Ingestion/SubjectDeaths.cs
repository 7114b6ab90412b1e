namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// A subject dies once. Deaths come from several sources of truth (Patient.deceasedDateTime, "died" discharge
/// dispositions of one or more encounters; docs/formats/fhir-ingestion.md "Deaths"), so when a subject is written only
/// the earliest MEDS_DEATH is kept: the one with the smallest time, an untimed one only when none is timed, and on a
/// tie the first in input order. Every other MEDS_DEATH of the subject is dropped.
/// </summary>
internal static class SubjectDeaths
{
    /// <summary>Removes all but the earliest MEDS_DEATH from <paramref name="events"/> (in place); returns how many went.</summary>
    public static int KeepEarliest(List<MedsEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var earliest = -1;
        var deaths = 0;
        for (var i = 0; i < events.Count; i++)
        {
            if (!IsDeath(events[i]))
                continue;
            deaths++;
            if (earliest < 0 || IsEarlier(events[i].Time, events[earliest].Time))
                earliest = i;
        }
        if (deaths < 2)
            return 0;
        var write = 0;
        for (var read = 0; read < events.Count; read++)
        {
            if (read == earliest || !IsDeath(events[read]))
                events[write++] = events[read];
        }
        events.RemoveRange(write, events.Count - write);
        return deaths - 1;
    }

    private static bool IsDeath(in MedsEvent ev) => string.Equals(ev.Code, MedsSchema.DeathCode, StringComparison.Ordinal);

    // Strictly earlier only, so the first of equal times wins; a time beats no time.
    private static bool IsEarlier(DateTime? candidate, DateTime? current) =>
        candidate is { } c && (current is not { } t || c < t);
}
