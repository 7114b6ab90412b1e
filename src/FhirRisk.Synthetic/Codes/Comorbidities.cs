namespace FhirRisk.Synthetic.Codes;

/// <summary>The chronic conditions of the model, as bit flags of a patient's <see cref="Comorbidities"/> set.</summary>
[Flags]
internal enum Comorbidity
{
    None = 0,
    Hypertension = 1 << 0,
    Type2Diabetes = 1 << 1,
    Hyperlipidemia = 1 << 2,
    CoronaryDisease = 1 << 3,
    HeartFailure = 1 << 4,
    AtrialFibrillation = 1 << 5,
    Copd = 1 << 6,
    ChronicKidneyDisease = 1 << 7,
    Dementia = 1 << 8,
    Cirrhosis = 1 << 9,
    LungCancer = 1 << 10,
}

/// <summary>
/// A chronic condition: its ICD-10-CM code, prevalence model and weight in the baseline risk (docs/simulator.md §1).
/// </summary>
/// <param name="Flag">The condition.</param>
/// <param name="Code">ICD-10-CM code (with its dot, as FHIR writes it) and its official short description.</param>
/// <param name="PrevalenceLogitAt65">Logit of the prevalence at age 65 for a patient of average frailty.</param>
/// <param name="AgeLogitPerDecade">Change of that logit per decade of age.</param>
/// <param name="RiskWeight">Its term in the baseline risk B.</param>
/// <param name="ChronicDrugs">RxNorm clinical drugs renewed at every ambulatory visit.</param>
internal sealed record ComorbidityEntry(
    Comorbidity Flag,
    Coded Code,
    double PrevalenceLogitAt65,
    double AgeLogitPerDecade,
    double RiskWeight,
    IReadOnlyList<Coded> ChronicDrugs);

/// <summary>The comorbidity table. Prevalences are of the order reported for US adults over 65 (CDC chronic disease
/// indicators); the codes were checked against the ICD-10-CM descriptions in the MIMIC-IV demo.</summary>
internal static class Comorbidities
{
    public static IReadOnlyList<ComorbidityEntry> All { get; } =
    [
        new(Comorbidity.Hypertension, Icd("I10", "Essential (primary) hypertension"), 0.0, 0.55, 0.05, [Drugs.Lisinopril, Drugs.Amlodipine]),
        new(Comorbidity.Type2Diabetes, Icd("E11.9", "Type 2 diabetes mellitus without complications"), -1.1, 0.2, 0.2, [Drugs.Metformin]),
        new(Comorbidity.Hyperlipidemia, Icd("E78.5", "Hyperlipidemia, unspecified"), -0.6, 0.3, 0.0, [Drugs.Atorvastatin]),
        new(Comorbidity.CoronaryDisease, Icd("I25.10", "Atherosclerotic heart disease of native coronary artery without angina pectoris"), -1.6, 0.5, 0.2, [Drugs.Aspirin81, Drugs.Atorvastatin]),
        new(Comorbidity.HeartFailure, Icd("I50.9", "Heart failure, unspecified"), -2.2, 0.6, 0.5, [Drugs.Metoprolol]),
        new(Comorbidity.AtrialFibrillation, Icd("I48.91", "Unspecified atrial fibrillation"), -2.2, 0.7, 0.2, [Drugs.Warfarin]),
        new(Comorbidity.Copd, Icd("J44.9", "Chronic obstructive pulmonary disease, unspecified"), -2.1, 0.3, 0.4, [Drugs.FluticasoneSalmeterol]),
        new(Comorbidity.ChronicKidneyDisease, Icd("N18.9", "Chronic kidney disease, unspecified"), -1.8, 0.6, 0.4, []),
        new(Comorbidity.Dementia, Icd("F03.90", "Unspecified dementia without behavioral disturbance"), -3.4, 1.1, 0.5, [Drugs.Donepezil]),
        new(Comorbidity.Cirrhosis, Icd("K74.60", "Unspecified cirrhosis of liver"), -3.6, 0.1, 0.6, []),
        new(Comorbidity.LungCancer, Icd("C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung"), -3.8, 0.5, 0.8, []),
    ];

    public static int Count(Comorbidity set) => System.Numerics.BitOperations.PopCount((uint)set);

    private static Coded Icd(string code, string display) => new(CodeSystemUris.Icd10Cm, code, display);
}
