namespace FhirRisk.Meds.Tasks;

/// <summary>
/// The special codes the tasks read (DESIGN §3). Both our FHIR ingestion and MEDS_transforms' MIMIC-IV extraction write
/// them as prefixes (<c>HOSPITAL_ADMISSION//&lt;class or type&gt;</c>, <c>ICU_DISCHARGE//&lt;unit&gt;</c>, …).
/// </summary>
public static class TaskCodes
{
    public const string HospitalAdmission = "HOSPITAL_ADMISSION";
    public const string HospitalDischarge = "HOSPITAL_DISCHARGE";
    public const string IcuAdmission = "ICU_ADMISSION";
    public const string IcuDischarge = "ICU_DISCHARGE";
    public const string EdRegistration = "ED_REGISTRATION";
    public const string EdOut = "ED_OUT";

    /// <summary>
    /// The discharge dispositions that say the patient died, as MEDS codes write them after <c>HOSPITAL_DISCHARGE//</c>:
    /// MIMIC-IV's <c>DIED</c>, HL7's <c>exp</c> and UB-04's <c>20</c>, <c>40</c>, <c>41</c>, <c>42</c> ("expired", at
    /// home, in a facility, place unknown). Our ingestion writes any other disposition it recognises as death
    /// (FhirIndex.IsDeathDisposition: another spelling, or a display or text saying so) as <c>DIED</c>, so the tasks and
    /// the ingestion agree on every death they see.
    /// </summary>
    public static IReadOnlyList<string> DeathDispositions { get; } = ["DIED", "exp", "20", "40", "41", "42"];

    /// <summary>
    /// Death: <c>MEDS_DEATH</c>, and a discharge whose disposition says the patient died (<see cref="DeathDispositions"/>).
    /// The disposition counts because MEDS_DEATH may come from a date-only date of death that lands after the discharge
    /// (MIMIC-IV demo MEDS: <c>HOSPITAL_DISCHARGE//DIED</c> at the death time, MEDS_DEATH hours later), or from a
    /// Patient's timed date of death that our ingestion keeps instead of the discharge's.
    /// </summary>
    public static CodeSet Death { get; } = new([MedsSchema.DeathCode, .. DeathDispositions.Select(d => HospitalDischarge + "//" + d)]);
}
