using System.Runtime.CompilerServices;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer;

namespace FhirRisk.Server.Patients;

/// <summary>
/// The encounter a CDS Hooks <c>encounter-discharge</c> call is discharging (<see cref="PatientRiskRequest.DischargingEncounterId"/>):
/// while the record still shows it open, its discharge is written at the asked time, as ingestion writes the end of a
/// finished encounter (a hospital discharge, <c>ICU_DISCHARGE</c>, <c>ED_OUT</c>), so that a task predicted at a discharge (30-day readmission) is asked at that discharge, as its label is, by either
/// method: the heads read the point they were finetuned at, and the rollouts count the window from it
/// (docs/cds-hooks.md "Services").
/// </summary>
internal static class DischargeNow
{
    /// <summary>What ingestion writes for a discharge without a disposition.</summary>
    public const string UnknownDisposition = TaskCodes.HospitalDischarge + "//UNKNOWN";

    /// <summary>
    /// The hospital discharge to write when no disposition is known yet: the live discharge the model's training data
    /// held most often (the demo model's <c>HOSPITAL_DISCHARGE//home</c>), so the model reads a discharge token it has
    /// learnt; <see cref="UnknownDisposition"/> when its vocabulary has none. Ingestion's own
    /// <c>HOSPITAL_DISCHARGE//UNKNOWN</c> is a token most models never saw (the demo's tokenizer maps it to an unknown
    /// token counted 0 times in training).
    /// </summary>
    public static string HospitalDischargeCode(Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return Chosen.GetValue(vocabulary, MostCommonLiveDischarge).Value!;
    }

    /// <summary>Per loaded vocabulary, its <see cref="HospitalDischargeCode"/>, found once.</summary>
    private static readonly ConditionalWeakTable<Vocabulary, StrongBox<string>> Chosen = new();

    private static StrongBox<string> MostCommonLiveDischarge(Vocabulary vocabulary)
    {
        var (best, count) = (UnknownDisposition, 0L);
        for (var id = 0; id < vocabulary.Count; id++)
        {
            var token = vocabulary[id];
            if (CodeSet.Matches(token, TaskCodes.HospitalDischarge) && !TaskCodes.Death.Contains(token) && vocabulary.Counts[id] > count)
                (best, count) = (token, vocabulary.Counts[id]);
        }
        return new StrongBox<string>(best);
    }

    /// <summary>
    /// <paramref name="events"/> (MEDS order) with the end of each kind of stay that <paramref name="encounterId"/>'s
    /// events start and do not end, at <paramref name="at"/> (null: the last timed event's time), after every event at
    /// or before it; the same list when the encounter has no open stay (finished, not in the record, or not a stay), or
    /// began after <paramref name="at"/>. Leaving the hospital ends an ICU stay still open in any encounter too (MIMIC
    /// records ICU stays as encounters of their own, <c>partOf</c> the hospital one). The hospital discharge comes last,
    /// so it is the prediction point at that time.
    /// </summary>
    /// <param name="hospitalDischarge">The code of a hospital stay's end (<see cref="HospitalDischargeCode"/>).</param>
    public static IReadOnlyList<MedsEvent> Close(IReadOnlyList<MedsEvent> events, long encounterId, DateTime? at = null, string hospitalDischarge = UnknownDisposition) =>
        Insert(events, Ends(events, encounterId, at, hospitalDischarge));

    /// <summary>The ends <see cref="Close"/> writes into <paramref name="events"/>, all at one time; none when there is
    /// nothing to close.</summary>
    public static IReadOnlyList<MedsEvent> Ends(IReadOnlyList<MedsEvent> events, long encounterId, DateTime? at = null, string hospitalDischarge = UnknownDisposition)
    {
        ArgumentNullException.ThrowIfNull(events);
        var own = events.Where(e => e.EncounterId == encounterId && !e.IsStatic).ToArray();
        bool Opened(string start, string end) => own.Any(e => CodeSet.Matches(e.Code, start)) && !own.Any(e => CodeSet.Matches(e.Code, end));
        var time = at ?? events.Where(e => !e.IsStatic).Select(e => e.Time!.Value).DefaultIfEmpty().Max();
        if (own.Length == 0 || own.Min(e => e.Time) > time)
            return []; // not in the record, or asked before it began: nothing of it to close
        var subject = own[0].SubjectId;
        var ends = new List<MedsEvent>(3);
        var hospital = Opened(TaskCodes.HospitalAdmission, TaskCodes.HospitalDischarge);
        if (Opened(TaskCodes.IcuAdmission, TaskCodes.IcuDischarge))
            ends.Add(new MedsEvent(subject, time, TaskCodes.IcuDischarge, EncounterId: encounterId));
        else if (hospital && OpenIcuStay(events, own.Min(e => e.Time!.Value), time) is { } icu)
            ends.Add(new MedsEvent(subject, time, TaskCodes.IcuDischarge, EncounterId: icu));
        if (Opened(TaskCodes.EdRegistration, TaskCodes.EdOut))
            ends.Add(new MedsEvent(subject, time, TaskCodes.EdOut, EncounterId: encounterId));
        if (hospital)
            ends.Add(new MedsEvent(subject, time, hospitalDischarge, EncounterId: encounterId));
        return ends;
    }

    /// <summary><paramref name="events"/> with <paramref name="ends"/> (one time) after every event at or before it.</summary>
    public static IReadOnlyList<MedsEvent> Insert(IReadOnlyList<MedsEvent> events, IReadOnlyList<MedsEvent> ends)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(ends);
        if (ends.Count == 0)
            return events;
        var time = ends[0].Time;
        var position = events.Count;
        while (position > 0 && (events[position - 1].IsStatic is false && events[position - 1].Time > time))
            position--;
        return [.. events.Take(position), .. ends, .. events.Skip(position)];
    }

    /// <summary>The encounter of the ICU stay open at <paramref name="time"/> (its last ICU code up to then an admission)
    /// that began during the hospital stay (at or after <paramref name="since"/>), or null: an older ICU stay whose end
    /// the record lacks is not this stay's to close.</summary>
    private static long? OpenIcuStay(IReadOnlyList<MedsEvent> events, DateTime since, DateTime time)
    {
        MedsEvent? last = null;
        foreach (var e in events)
        {
            if (e.Time <= time && (CodeSet.Matches(e.Code, TaskCodes.IcuAdmission) || CodeSet.Matches(e.Code, TaskCodes.IcuDischarge)))
                last = e;
        }
        return last is { } open && CodeSet.Matches(open.Code, TaskCodes.IcuAdmission) && open.Time >= since ? open.EncounterId : null;
    }
}
