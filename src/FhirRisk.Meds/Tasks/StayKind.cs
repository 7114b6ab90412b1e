namespace FhirRisk.Meds.Tasks;

/// <summary>
/// A kind of stay on a timeline, opened by one code and closed by another (DESIGN §3 special codes). Prediction points
/// sit at a stay's start or end; the end also gives the length of stay.
/// </summary>
/// <param name="Name">Short name: <c>hospital</c>, <c>icu</c>, <c>ed</c>.</param>
/// <param name="StartCode">Code prefix that opens the stay.</param>
/// <param name="EndCode">Code prefix that closes it.</param>
/// <param name="EndedBy">
/// Codes that show a stay of this kind still open had in fact ended unseen (its end missing from the record, or not yet
/// generated): a new stay of its kind begins, and for hospital and ICU stays also a new hospital admission, an ED
/// registration or an ambulatory visit (<c>VISIT//…</c>), which a patient cannot have while in hospital. An ED visit is
/// ended only by another registration: a hospital admission after it is its outcome, not evidence it was over.
/// </param>
public sealed record StayKind(string Name, string StartCode, string EndCode, CodeSet EndedBy)
{
    /// <summary>The code family of ambulatory and other visits (FHIR ingestion: <c>VISIT//&lt;class&gt;</c>).</summary>
    public const string VisitCode = "VISIT";

    public static StayKind Hospital { get; } = new("hospital", TaskCodes.HospitalAdmission, TaskCodes.HospitalDischarge,
        new CodeSet(TaskCodes.HospitalAdmission, TaskCodes.EdRegistration, VisitCode));

    public static StayKind Icu { get; } = new("icu", TaskCodes.IcuAdmission, TaskCodes.IcuDischarge,
        new CodeSet(TaskCodes.IcuAdmission, TaskCodes.HospitalAdmission, TaskCodes.EdRegistration, VisitCode));

    public static StayKind Emergency { get; } = new("ed", TaskCodes.EdRegistration, TaskCodes.EdOut, new CodeSet(TaskCodes.EdRegistration));
}
