namespace FhirRisk.Synthetic.Codes;

/// <summary>SNOMED CT procedures, checked against the SNOMED codings of the Synthea corpus in ../shared/data.</summary>
internal static class Procedures
{
    public static readonly Coded Electrocardiogram = Sct("29303009", "Electrocardiographic procedure");
    public static readonly Coded ChestXray = Sct("399208008", "Plain chest X-ray (procedure)");
    public static readonly Coded Echocardiography = Sct("433236007", "Transthoracic echocardiography");
    public static readonly Coded Intubation = Sct("52765003", "Intubation");
    public static readonly Coded Dialysis = Sct("265764009", "Renal dialysis (procedure)");
    public static readonly Coded Transfusion = Sct("180207008", "Intravenous blood transfusion of packed cells (procedure)");

    private static Coded Sct(string code, string display) => new(CodeSystemUris.Snomed, code, display);
}
