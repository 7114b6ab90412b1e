namespace FhirRisk.Meds.Tasks;

/// <summary>
/// A kind of stay on a timeline, opened by one code and closed by another (DESIGN §3 special codes). Prediction points
/// sit at a stay's start or end; the end also gives the length of stay.
/// </summary>
/// <param name="Name">Short name: <c>hospital</c>, <c>icu</c>, <c>ed</c>.</param>
/// <param name="StartCode">Code prefix that opens the stay.</param>
/// <param name="EndCode">Code prefix that closes it.</param>
/// <param name="EndedBy">
/// Codes after which the labels take a stay of this kind whose end is missing from a finished record to have ended
/// unseen: a new stay of its kind, and for a hospital stay also an ED registration or a visit (<c>VISIT//…</c>) — so a
/// lost discharge followed by an outpatient visit and a death at home is not an in-hospital death — and for an ICU stay
/// a visit. A hospital admission does not end an ICU stay (an ICU stay may open shortly before its own admission is
/// registered: MIMIC-IV), and an ED visit is ended only by another registration (an admission after it is its outcome).
/// The service does not use them for a stay still in progress, where consults and ED legs are charted as visits of
/// their own (StayClock).
/// </param>
public sealed record StayKind(string Name, string StartCode, string EndCode, CodeSet EndedBy)
{
    /// <summary>The code family of ambulatory and other visits (FHIR ingestion: <c>VISIT//&lt;class&gt;</c>).</summary>
    public const string VisitCode = "VISIT";

    public static StayKind Hospital { get; } = new("hospital", TaskCodes.HospitalAdmission, TaskCodes.HospitalDischarge,
        new CodeSet(TaskCodes.HospitalAdmission, TaskCodes.EdRegistration, VisitCode));

    public static StayKind Icu { get; } = new("icu", TaskCodes.IcuAdmission, TaskCodes.IcuDischarge,
        new CodeSet(TaskCodes.IcuAdmission, VisitCode));

    public static StayKind Emergency { get; } = new("ed", TaskCodes.EdRegistration, TaskCodes.EdOut, new CodeSet(TaskCodes.EdRegistration));
}
