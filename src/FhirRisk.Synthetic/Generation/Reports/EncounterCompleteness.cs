using FhirRisk.Meds.Tasks;

namespace FhirRisk.Synthetic.Generation.Reports;

/// <summary>
/// How many of a cohort's encounters its timelines hold whole (docs/generate.md "Fidelity"). An encounter
/// <b>begun before the timeline</b> shows as an end code with no encounter of its kind open (<c>HOSPITAL_DISCHARGE</c>,
/// <c>ICU_DISCHARGE</c>, <c>ED_OUT</c>) or an <c>ICU_ADMISSION</c> with no hospital stay open (counted once, with the
/// stay it sits in; an ICU discharge at the time of the hospital discharge that closed its stay is no orphan); one
/// <b>open at the end</b> has no end code by the last event. Stays of either kind are invisible
/// to <see cref="Stay.Find"/> pairing (length of stay, outcome rates), so the counts say how much of the cohort those
/// measures miss.
/// </summary>
/// <param name="Opened">Encounters opened in the timelines (admissions, ICU admissions, ED registrations).</param>
/// <param name="BegunBefore">Encounters begun before the timeline.</param>
/// <param name="OpenAtEnd">Encounters still open at the end of the timeline.</param>
public sealed record EncounterCompleteness(long Opened, long BegunBefore, long OpenAtEnd)
{
    public static EncounterCompleteness Empty { get; } = new(0, 0, 0);

    public EncounterCompleteness Add(EncounterCompleteness other) =>
        new(Opened + other.Opened, BegunBefore + other.BegunBefore, OpenAtEnd + other.OpenAtEnd);

    /// <summary>Counts one timeline's events, in time order.</summary>
    public static EncounterCompleteness Of(IReadOnlyList<DateTime> times, IReadOnlyList<string> codes)
    {
        bool hospital = false, icu = false, emergency = false;
        long opened = 0, begunBefore = 0;
        DateTime? icuClosedByDischarge = null;
        for (var i = 0; i < codes.Count; i++)
        {
            var code = codes[i];
            if (Is(code, TaskCodes.HospitalAdmission))
            {
                (opened, hospital) = (opened + 1, true);
            }
            else if (Is(code, TaskCodes.HospitalDischarge))
            {
                begunBefore += hospital ? 0 : 1;
                icuClosedByDischarge = icu ? times[i] : null;
                (hospital, icu) = (false, false);
            }
            else if (Is(code, TaskCodes.IcuAdmission))
            {
                // The hospital stay around an ICU stay with none open began before the timeline; its discharge then closes it.
                begunBefore += hospital ? 0 : 1;
                (opened, hospital, icu) = (opened + 1, true, true);
            }
            else if (Is(code, TaskCodes.IcuDischarge))
            {
                // The simulator writes a death in the ICU as HOSPITAL_DISCHARGE then ICU_DISCHARGE at one time.
                begunBefore += icu || icuClosedByDischarge == times[i] ? 0 : 1;
                icu = false;
            }
            else if (Is(code, TaskCodes.EdRegistration))
            {
                (opened, emergency) = (opened + 1, true);
            }
            else if (Is(code, TaskCodes.EdOut))
            {
                begunBefore += emergency ? 0 : 1;
                emergency = false;
            }
        }
        return new EncounterCompleteness(opened, begunBefore, (hospital ? 1 : 0) + (icu ? 1 : 0) + (emergency ? 1 : 0));
    }

    private static bool Is(string code, string prefix) => CodeSet.Matches(code, prefix);
}
