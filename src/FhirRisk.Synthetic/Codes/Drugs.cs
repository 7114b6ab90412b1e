namespace FhirRisk.Synthetic.Codes;

/// <summary>
/// RxNorm clinical drugs (SCD/SBD concepts, with the RxNorm name as display). Each code was checked against the RxNorm
/// codings of the Synthea corpus in ../shared/data (Synthea writes RxNorm concepts with their names).
/// </summary>
internal static class Drugs
{
    public static readonly Coded Lisinopril = Rx("314076", "lisinopril 10 MG Oral Tablet");
    public static readonly Coded Amlodipine = Rx("197361", "Amlodipine 5 MG Oral Tablet");
    public static readonly Coded Metformin = Rx("860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet");
    public static readonly Coded Atorvastatin = Rx("259255", "Atorvastatin 80 MG Oral Tablet");
    public static readonly Coded Aspirin81 = Rx("243670", "Aspirin 81 MG Oral Tablet");
    public static readonly Coded Metoprolol = Rx("866412", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet");
    public static readonly Coded Warfarin = Rx("855332", "Warfarin Sodium 5 MG Oral Tablet");
    public static readonly Coded FluticasoneSalmeterol = Rx("896209", "60 ACTUAT Fluticasone propionate 0.25 MG/ACTUAT / salmeterol 0.05 MG/ACTUAT Dry Powder Inhaler");
    public static readonly Coded Donepezil = Rx("997223", "Donepezil hydrochloride 10 MG Oral Tablet");

    public static readonly Coded PiperacillinTazobactam = Rx("1659149", "Piperacillin 4000 MG / tazobactam 500 MG Injection");
    public static readonly Coded SodiumChloride = Rx("313002", "Sodium Chloride 9 MG/ML Injectable Solution");
    public static readonly Coded Nitrofurantoin = Rx("311995", "NITROFURANTOIN, MACROCRYSTALS 50 MG Oral Capsule");
    public static readonly Coded FurosemideInjection = Rx("1719286", "10 ML Furosemide 10 MG/ML Injection");
    public static readonly Coded Prednisone = Rx("312617", "predniSONE 5 MG Oral Tablet");
    public static readonly Coded AlbuterolNebulized = Rx("351137", "albuterol 0.21 MG/ML Inhalation Solution");
    public static readonly Coded Alteplase = Rx("1804799", "Alteplase 100 MG Injection");
    public static readonly Coded Clopidogrel = Rx("309362", "Clopidogrel 75 MG Oral Tablet");
    public static readonly Coded Heparin = Rx("314659", "heparin sodium, porcine");
    public static readonly Coded Acetaminophen = Rx("313782", "Acetaminophen 325 MG Oral Tablet");
    public static readonly Coded Ondansetron = Rx("1740467", "2 ML Ondansetron 2 MG/ML Injection");
    public static readonly Coded Amiodarone = Rx("834357", "3 ML Amiodarone hydrocholoride 50 MG/ML Prefilled Syringe");
    public static readonly Coded Insulin = Rx("106892", "insulin human, isophane 70 UNT/ML / Regular Insulin, Human 30 UNT/ML Injectable Suspension [Humulin]");
    public static readonly Coded Epinephrine = Rx("1660014", "1 ML Epinephrine 1 MG/ML Injection");
    public static readonly Coded Propofol = Rx("1808217", "100 ML Propofol 10 MG/ML Injection");

    private static Coded Rx(string code, string display) => new(CodeSystemUris.RxNorm, code, display);
}
