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

    /// <summary>
    /// What a code says of an ICU stay for <see cref="IcuOpenAt"/>: true when it opens one, false when it ends any (an
    /// ICU discharge, a hospital discharge, or another end of an ICU stay, <see cref="EndedBy"/>), null when neither.
    /// Read back from a stay's start, the first code that says something decides whether an ICU stay is open there.
    /// </summary>
    public static bool? OpensIcu(string code)
    {
        if (CodeSet.Matches(code, Icu.StartCode))
            return true;
        if (CodeSet.Matches(code, Icu.EndCode) || CodeSet.Matches(code, TaskCodes.HospitalDischarge) || Icu.EndedBy.Contains(code))
            return false;
        return null;
    }

    /// <summary>
    /// The event that opened an ICU stay still open at the time of event <paramref name="at"/>, read back from the last
    /// event of that time (<paramref name="lastAtSameTime"/>) with <see cref="OpensIcu"/>, back to the first event of
    /// that time (<paramref name="firstAtSameTime"/>) at the most past an earlier hospital admission, which ended the
    /// stay that ICU stay belonged to, and no further back than <see cref="IcuOpenLookBack"/> (review s16-final #1: an
    /// old ICU stay whose ends were both lost answered every later admission); else null. An ICU stay begun before the hospital admission is registered (an ED boarder moved
    /// to the ICU first, or an ICU <c>intime</c> before <c>admittime</c>) has already answered "ICU admission before
    /// discharge" when the admission is asked about.
    /// </summary>
    public static int? IcuOpenAt(IReadOnlyList<string> codes, IReadOnlyList<DateTime> times, int at, int firstAtSameTime, int lastAtSameTime)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(times);
        for (var i = lastAtSameTime; i >= 0 && times[at] - times[i] <= IcuOpenLookBack; i--)
        {
            if (i == at)
                continue;
            if (OpensIcu(codes[i]) is { } opens)
                return opens && !InEarlierStay(codes, i) ? i : null;
            if (i < firstAtSameTime && CodeSet.Matches(codes[i], TaskCodes.HospitalAdmission))
                return null;
        }
        return null;
    }

    /// <summary>Whether the ICU admission at <paramref name="icu"/> belongs to a hospital stay opened before it and not
    /// closed since (its discharge lost): then a later admission ended that stay, and the ICU stay with it.</summary>
    public static bool InEarlierStay(IReadOnlyList<string> codes, int icu)
    {
        ArgumentNullException.ThrowIfNull(codes);
        for (var i = icu - 1; i >= 0; i--)
        {
            if (InEarlierStay(codes[i]) is { } earlier)
                return earlier;
        }
        return false;
    }

    /// <summary>Read back from an ICU admission: true at a hospital admission (the ICU stay is that stay's), false at a
    /// hospital discharge (the stay before it ended), null otherwise.</summary>
    public static bool? InEarlierStay(string code) =>
        CodeSet.Matches(code, TaskCodes.HospitalAdmission) ? true : CodeSet.Matches(code, TaskCodes.HospitalDischarge) ? false : null;

    /// <summary>How long before a stay's start an ICU admission may lie and still be read as open at it
    /// (<see cref="IcuOpenAt"/>): an ED boarder's ICU stay, or MIMIC-IV's ICU <c>intime</c> before <c>admittime</c>, is
    /// hours before it; an older one whose ends were lost belongs to a stay long over.</summary>
    public static TimeSpan IcuOpenLookBack { get; } = TimeSpan.FromHours(48);

    /// <summary>Whether a task's positive codes hold an ICU admission, the only tasks <see cref="IcuOpenAt"/> answers.</summary>
    public static bool AsksAboutIcu(CodeSet positives) => positives.Contains(Icu.StartCode);
}
