namespace FhirRisk.Meds.Tasks;

/// <summary>
/// A kind of stay on a timeline, opened by one code and closed by another (DESIGN §3 special codes). Prediction points
/// sit at a stay's start or end; the end also gives the length of stay.
/// </summary>
/// <param name="Name">Short name: <c>hospital</c>, <c>icu</c>, <c>ed</c>.</param>
/// <param name="StartCode">Code prefix that opens the stay.</param>
/// <param name="EndCode">Code prefix that closes it.</param>
public sealed record StayKind(string Name, string StartCode, string EndCode)
{
    public static StayKind Hospital { get; } = new("hospital", TaskCodes.HospitalAdmission, TaskCodes.HospitalDischarge);

    public static StayKind Icu { get; } = new("icu", TaskCodes.IcuAdmission, TaskCodes.IcuDischarge);

    public static StayKind Emergency { get; } = new("ed", TaskCodes.EdRegistration, TaskCodes.EdOut);
}
