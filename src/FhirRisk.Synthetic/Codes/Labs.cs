namespace FhirRisk.Synthetic.Codes;

/// <summary>
/// A lab or vital sign and its measurement model (docs/simulator.md §3): on the natural or the log scale,
/// value = center + spread · (z + shift · severity + chronic offsets), z ~ N(0, 1), clamped to a plausible range and
/// rounded as a lab would report it.
/// </summary>
/// <param name="Code">LOINC code with its long common name.</param>
/// <param name="Unit">UCUM code of the unit (also its display).</param>
/// <param name="Category">Observation category code: <c>laboratory</c> or <c>vital-signs</c>.</param>
/// <param name="Center">Population center in a healthy adult (the median on the log scale).</param>
/// <param name="Spread">Standard deviation (of the log on the log scale).</param>
/// <param name="LogScale">True for right-skewed values (creatinine, lactate, counts).</param>
/// <param name="SeverityShift">Shift in units of <paramref name="Spread"/> per unit of acute severity (negative: falls).</param>
/// <param name="Minimum">Lowest reportable value.</param>
/// <param name="Maximum">Highest reportable value.</param>
/// <param name="Decimals">Decimals reported.</param>
/// <param name="Chronic">Offsets (in spreads) carried by patients with a comorbidity, e.g. creatinine in CKD.</param>
internal sealed record Measurement(
    Coded Code,
    string Unit,
    string Category,
    double Center,
    double Spread,
    bool LogScale,
    double SeverityShift,
    double Minimum,
    double Maximum,
    int Decimals,
    IReadOnlyList<(Comorbidity Condition, double Offset)> Chronic)
{
    /// <summary>The value for a standard normal draw <paramref name="z"/> at acute severity <paramref name="severity"/>.</summary>
    public double ValueAt(double z, double severity, Comorbidity comorbidities, double shiftMultiplier = 1.0)
    {
        var standardized = z + SeverityShift * shiftMultiplier * severity;
        foreach (var (condition, offset) in Chronic)
        {
            if ((comorbidities & condition) != 0)
                standardized += offset;
        }
        var value = LogScale ? Center * Math.Exp(Spread * standardized) : Center + Spread * standardized;
        return Math.Round(Math.Clamp(value, Minimum, Maximum), Decimals, MidpointRounding.AwayFromZero);
    }
}

/// <summary>The LOINC table: chemistry, hematology and vital signs with UCUM units; reference intervals as in
/// common adult laboratory practice.</summary>
internal static class Labs
{
    public const string CreatinineCode = "2160-0";
    public const string UreaNitrogenCode = "3094-0";
    public const string LeukocytesCode = "6690-2";
    public const string HemoglobinCode = "718-7";
    public const string LactateCode = "2524-7";
    public const string OxygenSaturationCode = "59408-5";

    public static readonly Measurement Creatinine = Lab(CreatinineCode, "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.95, 0.25, true, 0.35, 0.2, 15, 2,
        (Comorbidity.ChronicKidneyDisease, 2.2));
    public static readonly Measurement UreaNitrogen = Lab(UreaNitrogenCode, "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", 15, 0.3, true, 0.3, 2, 200, 0,
        (Comorbidity.ChronicKidneyDisease, 1.5), (Comorbidity.HeartFailure, 0.5));
    public static readonly Measurement Sodium = Lab("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 139, 3, false, -0.4, 110, 170, 0,
        (Comorbidity.Cirrhosis, -0.8), (Comorbidity.HeartFailure, -0.4));
    public static readonly Measurement Potassium = Lab("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 4.2, 0.4, false, 0.25, 2, 8, 1,
        (Comorbidity.ChronicKidneyDisease, 0.8));
    public static readonly Measurement Glucose = Lab("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 100, 0.18, true, 0.3, 30, 900, 0,
        (Comorbidity.Type2Diabetes, 2.0));
    public static readonly Measurement Leukocytes = Lab(LeukocytesCode, "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 7.5, 0.25, true, 0.6, 0.5, 80, 1);
    public static readonly Measurement Hemoglobin = Lab(HemoglobinCode, "Hemoglobin [Mass/volume] in Blood", "g/dL", 13.5, 1.4, false, -0.4, 4, 20, 1,
        (Comorbidity.ChronicKidneyDisease, -0.8), (Comorbidity.LungCancer, -0.6));
    public static readonly Measurement Platelets = Lab("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 240, 0.25, true, -0.4, 5, 1000, 0,
        (Comorbidity.Cirrhosis, -1.8));
    public static readonly Measurement Lactate = Lab(LactateCode, "Lactate [Moles/volume] in Serum or Plasma", "mmol/L", 1.2, 0.3, true, 0.7, 0.3, 20, 1);
    public static readonly Measurement Bilirubin = Lab("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 0.35, true, 0.3, 0.1, 30, 1,
        (Comorbidity.Cirrhosis, 2.5));
    public static readonly Measurement HemoglobinA1c = Lab("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 5.4, 0.35, false, 0, 4, 15, 1,
        (Comorbidity.Type2Diabetes, 6.0));

    public static readonly Measurement HeartRate = Vital("8867-4", "Heart rate", "/min", 78, 10, 0.8, 30, 200, 0, (Comorbidity.AtrialFibrillation, 0.8));
    public static readonly Measurement RespiratoryRate = Vital("9279-1", "Respiratory rate", "/min", 16, 2.5, 0.9, 6, 50, 0, (Comorbidity.Copd, 0.6));
    public static readonly Measurement BodyTemperature = Vital("8310-5", "Body temperature", "Cel", 36.8, 0.35, 0.7, 33, 42, 1);
    public static readonly Measurement OxygenSaturation = Vital(OxygenSaturationCode, "Oxygen saturation in Arterial blood by Pulse oximetry", "%", 97, 1.5, -1.0, 60, 100, 0,
        (Comorbidity.Copd, -1.5));
    public static readonly Measurement SystolicPressure = Vital("8480-6", "Systolic blood pressure", "mm[Hg]", 128, 15, -0.6, 60, 240, 0, (Comorbidity.Hypertension, 1.0));
    public static readonly Measurement DiastolicPressure = Vital("8462-4", "Diastolic blood pressure", "mm[Hg]", 76, 10, -0.5, 30, 140, 0, (Comorbidity.Hypertension, 0.8));

    /// <summary>The blood pressure panel whose components are <see cref="SystolicPressure"/> and <see cref="DiastolicPressure"/>.</summary>
    public static readonly Coded BloodPressurePanel = new(CodeSystemUris.Loinc, "85354-9", "Blood pressure panel with all children optional");

    /// <summary>Drawn in the emergency department of every acute episode.</summary>
    public static IReadOnlyList<Measurement> EmergencyPanel { get; } =
        [Creatinine, UreaNitrogen, Sodium, Potassium, Glucose, Leukocytes, Hemoglobin, Platelets, Lactate, Bilirubin];

    /// <summary>Drawn every morning of a hospital stay (lactate too while in the ICU).</summary>
    public static IReadOnlyList<Measurement> DailyPanel { get; } =
        [Creatinine, UreaNitrogen, Sodium, Potassium, Glucose, Leukocytes, Hemoglobin, Platelets];

    /// <summary>Basic metabolic panel of an ambulatory visit.</summary>
    public static IReadOnlyList<Measurement> OutpatientPanel { get; } = [Creatinine, UreaNitrogen, Sodium, Potassium, Glucose];

    /// <summary>Single-valued vital signs charted with every blood pressure.</summary>
    public static IReadOnlyList<Measurement> Vitals { get; } = [HeartRate, RespiratoryRate, BodyTemperature, OxygenSaturation];

    private static Measurement Lab(string code, string name, string unit, double center, double spread, bool log, double shift,
        double min, double max, int decimals, params (Comorbidity, double)[] chronic) =>
        new(new Coded(CodeSystemUris.Loinc, code, name), unit, "laboratory", center, spread, log, shift, min, max, decimals, chronic);

    private static Measurement Vital(string code, string name, string unit, double center, double spread, double shift,
        double min, double max, int decimals, params (Comorbidity, double)[] chronic) =>
        new(new Coded(CodeSystemUris.Loinc, code, name), unit, "vital-signs", center, spread, false, shift, min, max, decimals, chronic);
}
