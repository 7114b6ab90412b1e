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
    /// Death: <c>MEDS_DEATH</c>, and a discharge whose disposition says the patient died. The disposition counts
    /// because MEDS_DEATH may come from a date-only date of death that lands after the discharge (MIMIC-IV demo MEDS:
    /// <c>HOSPITAL_DISCHARGE//DIED</c> at the death time, MEDS_DEATH hours later). The disposition codes are those our
    /// ingestion recognises as death (FhirIndex.IsDeathDisposition: MIMIC <c>DIED</c>, HL7 <c>exp</c>, UB-04 <c>20</c>).
    /// </summary>
    public static CodeSet Death { get; } = new(
        MedsSchema.DeathCode,
        HospitalDischarge + "//DIED",
        HospitalDischarge + "//exp",
        HospitalDischarge + "//20");
}
