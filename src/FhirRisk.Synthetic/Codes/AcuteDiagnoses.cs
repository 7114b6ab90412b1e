namespace FhirRisk.Synthetic.Codes;

/// <summary>
/// The reason for an acute episode: its ICD-10-CM code, how likely it is given the comorbidities, how severe it tends to
/// be, which measurement it moves most, and its usual treatment and work-up (docs/simulator.md §2).
/// </summary>
/// <param name="Code">ICD-10-CM code and official short description (checked against the MIMIC-IV demo).</param>
/// <param name="BaseWeight">Relative frequency without the comorbidity below.</param>
/// <param name="Predisposition">A comorbidity that makes the diagnosis more likely (None: no such).</param>
/// <param name="PredispositionWeight">Weight added when the patient has <paramref name="Predisposition"/>.</param>
/// <param name="SeverityOffset">μ_d, the mean acute severity of this diagnosis.</param>
/// <param name="SignatureLoinc">The LOINC code whose severity shift is doubled for this diagnosis (null: none).</param>
/// <param name="Treatment">Drugs ordered at admission and given daily.</param>
/// <param name="Workup">Procedures done in the emergency department.</param>
/// <param name="Unit">The ICU that takes the patient when an ICU stay is needed.</param>
internal sealed record AcuteDiagnosis(
    Coded Code,
    double BaseWeight,
    Comorbidity Predisposition,
    double PredispositionWeight,
    double SeverityOffset,
    string? SignatureLoinc,
    IReadOnlyList<Coded> Treatment,
    IReadOnlyList<Coded> Workup,
    IcuUnit Unit);

/// <summary>The acute diagnosis table.</summary>
internal static class AcuteDiagnoses
{
    public static IReadOnlyList<AcuteDiagnosis> All { get; } =
    [
        new(Icd("A41.9", "Sepsis, unspecified organism"), 1.0, Comorbidity.None, 0, 0.6, Labs.LactateCode,
            [Drugs.PiperacillinTazobactam, Drugs.SodiumChloride], [Procedures.ChestXray], IcuUnits.Medical),
        new(Icd("J18.9", "Pneumonia, unspecified organism"), 1.5, Comorbidity.Copd, 1.0, 0.1, Labs.LeukocytesCode,
            [Drugs.PiperacillinTazobactam], [Procedures.ChestXray], IcuUnits.Medical),
        new(Icd("N39.0", "Urinary tract infection, site not specified"), 1.0, Comorbidity.Dementia, 0.8, -0.5, Labs.LeukocytesCode,
            [Drugs.Nitrofurantoin], [], IcuUnits.Medical),
        new(Icd("I50.23", "Acute on chronic systolic (congestive) heart failure"), 0.1, Comorbidity.HeartFailure, 3.0, 0.0, Labs.UreaNitrogenCode,
            [Drugs.FurosemideInjection], [Procedures.Electrocardiogram, Procedures.ChestXray, Procedures.Echocardiography], IcuUnits.CardiacVascular),
        new(Icd("J44.1", "Chronic obstructive pulmonary disease with (acute) exacerbation"), 0.0, Comorbidity.Copd, 2.5, -0.1, Labs.OxygenSaturationCode,
            [Drugs.Prednisone, Drugs.AlbuterolNebulized], [Procedures.ChestXray], IcuUnits.Medical),
        new(Icd("N17.9", "Acute kidney failure, unspecified"), 0.4, Comorbidity.ChronicKidneyDisease, 1.5, 0.0, Labs.CreatinineCode,
            [Drugs.SodiumChloride], [], IcuUnits.Medical),
        new(Icd("K92.2", "Gastrointestinal hemorrhage, unspecified"), 0.5, Comorbidity.Cirrhosis, 2.0, 0.1, Labs.HemoglobinCode,
            [Drugs.SodiumChloride, Drugs.Ondansetron], [Procedures.Transfusion], IcuUnits.Medical),
        new(Icd("I63.9", "Cerebral infarction, unspecified"), 0.5, Comorbidity.AtrialFibrillation, 1.0, 0.2, null,
            [Drugs.Alteplase, Drugs.Aspirin81], [Procedures.Electrocardiogram], IcuUnits.NeuroSurgical),
        new(Icd("I21.4", "Non-ST elevation (NSTEMI) myocardial infarction"), 0.3, Comorbidity.CoronaryDisease, 1.5, 0.2, null,
            [Drugs.Aspirin81, Drugs.Clopidogrel, Drugs.Heparin], [Procedures.Electrocardiogram, Procedures.Echocardiography], IcuUnits.Coronary),
    ];

    /// <summary>Secondary discharge diagnosis of an ICU sepsis stay that needed a vasopressor.</summary>
    public static readonly Coded SepticShock = Icd("R65.21", "Severe sepsis with septic shock");

    /// <summary>Secondary discharge diagnosis of an intubated stay.</summary>
    public static readonly Coded RespiratoryFailure = Icd("J96.01", "Acute respiratory failure with hypoxia");

    private static Coded Icd(string code, string display) => new(CodeSystemUris.Icd10Cm, code, display);
}

/// <summary>An intensive care unit; its <see cref="Name"/> (as MIMIC-IV names its care units) is the Location name.</summary>
internal sealed record IcuUnit(string LocationId, string Name);

/// <summary>The ICU Locations of the simulated hospital (written once to Location.ndjson).</summary>
internal static class IcuUnits
{
    public static readonly IcuUnit Medical = new("icu-micu", "Medical Intensive Care Unit (MICU)");
    public static readonly IcuUnit CardiacVascular = new("icu-cvicu", "Cardiac Vascular Intensive Care Unit (CVICU)");
    public static readonly IcuUnit Coronary = new("icu-ccu", "Coronary Care Unit (CCU)");
    public static readonly IcuUnit NeuroSurgical = new("icu-neuro-sicu", "Neuro Surgical Intensive Care Unit (Neuro SICU)");

    public static IReadOnlyList<IcuUnit> All { get; } = [Medical, CardiacVascular, Coronary, NeuroSurgical];
}
