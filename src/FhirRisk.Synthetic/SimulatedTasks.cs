namespace FhirRisk.Synthetic;

/// <summary>
/// The task names of the ground truth, spelled as DESIGN §6 names them, with the prediction point of each (the same
/// points as the peer, ethos.md §3.2).
/// </summary>
public static class SimulatedTasks
{
    /// <summary>Death before discharge; predicted at the hospital admission.</summary>
    public const string HospitalMortality = "hospital_mortality";

    /// <summary>ICU stay before discharge; predicted at the hospital admission.</summary>
    public const string IcuAdmission = "icu_admission";

    /// <summary>Length of stay ≥ 10 days; predicted at the hospital admission.</summary>
    public const string ProlongedLos = "prolonged_los";

    /// <summary>Any of the three above; predicted at the hospital admission.</summary>
    public const string Composite = "composite";

    /// <summary>Hospital admission or death within 30 days of a live discharge; predicted at the discharge.</summary>
    public const string Readmission30d = "readmission_30d";

    /// <summary>Death before ICU discharge; predicted at the ICU admission.</summary>
    public const string IcuMortality = "icu_mortality";

    /// <summary>The emergency visit ends in a hospital admission; predicted at ED registration.</summary>
    public const string EdHospitalization = "ed_hospitalization";

    /// <summary>ICU admission or death within 12 h of ED registration; predicted at ED registration.</summary>
    public const string EdCriticalOutcome = "ed_critical_outcome";

    /// <summary>Another ED registration within 72 h of leaving the ED (visits not admitted); predicted at ED out.</summary>
    public const string EdReattendance72h = "ed_reattendance_72h";

    /// <summary>Every task, in the order summaries list them.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        HospitalMortality, IcuAdmission, ProlongedLos, Composite, Readmission30d, IcuMortality,
        EdHospitalization, EdCriticalOutcome, EdReattendance72h,
    ];
}
