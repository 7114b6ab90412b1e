using static FhirRisk.Meds.Tasks.TaskCodes;

namespace FhirRisk.Meds.Tasks;

/// <summary>
/// The tasks of DESIGN §6 as one table, with the peers' rules (ethos.md §3.2). Labels, rollout stopping and finetuning
/// targets all read this table, so a rule changes in one row, never in scattered conditions.
/// </summary>
public static class TaskCatalog
{
    public const string HospitalMortality = "hospital_mortality";
    public const string IcuAdmission = "icu_admission";
    public const string ProlongedLos = "prolonged_los";
    public const string Composite = "composite";
    public const string Readmission30d = "readmission_30d";
    public const string IcuMortality = "icu_mortality";
    public const string EdHospitalization = "ed_hospitalization";
    public const string EdCriticalOutcome = "ed_critical_outcome";
    public const string EdReattendance72h = "ed_reattendance_72h";

    /// <summary>Every task's name, in the order of DESIGN §6 (the order of <see cref="Create"/>).</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        HospitalMortality, IcuAdmission, ProlongedLos, Composite, Readmission30d, IcuMortality,
        EdHospitalization, EdCriticalOutcome, EdReattendance72h,
    ];

    /// <summary>
    /// The fix for a task whose label files are missing: for a catalog task, label it with <c>fhirrisk labels</c>; for
    /// any other name (a typo, or a task of the user's own), the catalog's names and where the user's own MEDS label
    /// files would go.
    /// </summary>
    public static string MissingLabelsHint(string task, string labelsFolder) => Names.Contains(task)
        ? $"run 'fhirrisk labels <meds-dir> --task {task} --out {labelsFolder}' first."
        : $"'{task}' is not a catalog task ({string.Join(", ", Names)}); for a task of your own, put its MEDS label files in {Path.Combine(labelsFolder, task)}/.";

    /// <summary>Every task, in the order of DESIGN §6.</summary>
    public static IReadOnlyList<TaskDefinition> Create(TaskParameters? parameters = null)
    {
        var p = parameters ?? TaskParameters.Default;
        p.Validate();
        var atAdmission = new PredictionPoint("admission", StayKind.Hospital, StayBoundary.Start);
        var atLiveDischarge = new PredictionPoint("live_discharge", StayKind.Hospital, StayBoundary.End, PointFilter.Alive);
        var atIcuAdmission = new PredictionPoint("icu_admission", StayKind.Icu, StayBoundary.Start);
        var atEdRegistration = new PredictionPoint("ed_registration", StayKind.Emergency, StayBoundary.Start);
        var atEdDischarge = new PredictionPoint("ed_discharge", StayKind.Emergency, StayBoundary.End, PointFilter.NotAdmitted, p.EdAdmissionGrace);

        var death = Death;
        var admission = new CodeSet(HospitalAdmission);
        var icu = new CodeSet(TaskCodes.IcuAdmission);
        var edRegistration = new CodeSet(EdRegistration);
        var dischargeOrDeath = new CodeSet(HospitalDischarge).Union(death);
        var icuOrDischargeOrDeath = icu.Union(dischargeOrDeath);
        const UnresolvedOutcome excluded = UnresolvedOutcome.Excluded;
        const UnresolvedOutcome negative = UnresolvedOutcome.Negative;

        // name, description, prediction point,
        //     stop codes (priority order), positive codes, time limit, positive after, unresolved
        return
        [
            new(HospitalMortality, "death before discharge", atAdmission,
                dischargeOrDeath, death, p.StayHorizon, null, excluded),
            new(IcuAdmission, "ICU admission before discharge", atAdmission,
                icuOrDischargeOrDeath, icu, p.StayHorizon, null, excluded),
            new(ProlongedLos, $"stay of at least {Days(p.ProlongedStay)} days", atAdmission,
                dischargeOrDeath, CodeSet.Empty, p.StayHorizon, p.ProlongedStay, excluded),
            new(Composite, $"death or ICU admission before discharge, or a stay of at least {Days(p.ProlongedStay)} days", atAdmission,
                icuOrDischargeOrDeath, icu.Union(death), p.StayHorizon, p.ProlongedStay, excluded),
            new(Readmission30d, $"admission or death within {Days(p.ReadmissionWindow)} days of a live discharge", atLiveDischarge,
                admission.Union(death), admission.Union(death), p.ReadmissionWindow, null, negative),
            new(IcuMortality, "death before ICU discharge", atIcuAdmission,
                new CodeSet(IcuDischarge).Union(dischargeOrDeath), death, p.StayHorizon, null, excluded),
            new(EdHospitalization, $"hospital admission within {Hours(p.EdHospitalizationWindow)} h of ED registration, before another ED visit", atEdRegistration,
                admission.Union(edRegistration).Union(death), admission, p.EdHospitalizationWindow, null, negative),
            new(EdCriticalOutcome, $"ICU admission or death within {Hours(p.EdCriticalWindow)} h of ED registration, before discharge", atEdRegistration,
                icuOrDischargeOrDeath, icu.Union(death), p.EdCriticalWindow, null, negative),
            new(EdReattendance72h, $"new ED registration within {Hours(p.EdReattendanceWindow)} h of leaving the ED without admission", atEdDischarge,
                edRegistration.Union(death), edRegistration, p.EdReattendanceWindow, null, negative),
        ];
    }

    /// <summary>The tasks a <c>--task</c> value names: one name, or <c>all</c>; null when no task has that name.</summary>
    public static IReadOnlyList<TaskDefinition>? Select(IReadOnlyList<TaskDefinition> catalog, string name)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (string.Equals(name, "all", StringComparison.Ordinal))
            return catalog;
        var task = catalog.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));
        return task is null ? null : [task];
    }

    private static string Days(TimeSpan span) => span.TotalDays.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);

    private static string Hours(TimeSpan span) => span.TotalHours.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
}
