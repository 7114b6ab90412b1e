using System.Globalization;

namespace FhirRisk.Bench.Parquet;

/// <summary>A numeric lab or vital code (DESIGN §3: the normalized unit is part of the code) and its value range.</summary>
internal sealed record LabCode(string Code, double TypicalValue, int Decimals);

/// <summary>
/// Synthetic but realistically shaped MEDS codes (DESIGN §3 spelling): numeric LOINC codes with units, and
/// diagnosis, procedure, medication and encounter codes from the vocabularies FHIR ingestion produces.
/// </summary>
internal sealed class CodeVocabulary
{
    private static readonly string[] Units =
        ["mg/dL", "mmol/L", "g/dL", "U/L", "%", "10*3/uL", "mEq/L", "ng/mL", "pg/mL", "fL", "s", "mm[Hg]", "/min", "kg", "Cel", "mL/min"];

    private static readonly (string Vocabulary, double Share)[] EventVocabularies =
        [("ICD10CM", 0.30), ("SNOMED", 0.20), ("RXNORM", 0.20), ("ICD10PCS", 0.10), ("CPT4", 0.10), ("ICD9CM", 0.07), ("CVX", 0.03)];

    public CodeVocabulary(int labCount, int eventCount, DeterministicRandom random)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Labs = Enumerable.Range(0, labCount).Select(_ => NewLab(random, seen)).ToArray();
        Events = Enumerable.Range(0, eventCount).Select(_ => NewUnique(seen, () => NewEventCode(random))).ToArray();
    }

    /// <summary>Numeric codes, most frequent first.</summary>
    public IReadOnlyList<LabCode> Labs { get; }

    /// <summary>Non-numeric codes, most frequent first.</summary>
    public IReadOnlyList<string> Events { get; }

    public static IReadOnlyList<string> Genders { get; } = ["GENDER//F", "GENDER//M"];

    public static IReadOnlyList<string> Races { get; } =
        ["RACE//WHITE", "RACE//BLACK", "RACE//ASIAN", "RACE//OTHER", "RACE//UNKNOWN"];

    public static IReadOnlyList<string> Ethnicities { get; } = ["ETHNICITY//HISPANIC", "ETHNICITY//NOT_HISPANIC", "ETHNICITY//UNKNOWN"];

    public static IReadOnlyList<string> EncounterStarts { get; } =
        ["VISIT//AMB", "VISIT//AMB", "VISIT//AMB", "HOSPITAL_ADMISSION//inpatient", "ED_REGISTRATION", "VISIT//VR"];

    /// <summary>Lab results recorded as text instead of a number (few rows; DESIGN §3 text_value).</summary>
    public static IReadOnlyList<string> TextResults { get; } =
        ["negative", "positive", "trace", "not detected", "<0.5", ">1000", "hemolyzed", "see comment", "1+", "2+"];

    private static LabCode NewLab(DeterministicRandom random, HashSet<string> seen)
    {
        var code = NewUnique(seen, () => string.Create(CultureInfo.InvariantCulture,
            $"LOINC//{random.NextInt(1000, 99999)}-{random.NextInt(10)}//{Units[random.NextInt(Units.Length)]}"));
        // Typical values span 0.01 .. 10,000 (log-uniform), printed with fewer decimals as they grow, like lab systems.
        var typical = Math.Pow(10, -2 + 6 * random.NextDouble());
        var decimals = typical >= 100 ? 0 : typical >= 1 ? 1 : 2;
        return new LabCode(code, typical, decimals);
    }

    private static string NewEventCode(DeterministicRandom random)
    {
        var vocabulary = PickVocabulary(random.NextDouble());
        return vocabulary switch
        {
            "ICD10CM" => $"ICD10CM//{(char)('A' + random.NextInt(26))}{random.NextInt(10, 100)}.{random.NextInt(100)}",
            "SNOMED" => $"SNOMED//{random.NextInt(100_000, 1_000_000_000)}",
            "RXNORM" => $"RXNORM//{random.NextInt(1000, 2_000_000)}",
            "ICD10PCS" => $"ICD10PCS//0{PcsCharacters(random, 6)}",
            "CPT4" => $"CPT4//{random.NextInt(10_000, 100_000)}",
            "ICD9CM" => $"ICD9CM//{random.NextInt(1000, 10_000)}",
            _ => $"CVX//{random.NextInt(1, 300)}",
        };
    }

    private static string PickVocabulary(double u)
    {
        foreach (var (vocabulary, share) in EventVocabularies)
        {
            if (u < share)
                return vocabulary;
            u -= share;
        }

        return EventVocabularies[^1].Vocabulary;
    }

    private static string PcsCharacters(DeterministicRandom random, int length)
    {
        const string Alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
        return string.Create(length, random, (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = Alphabet[r.NextInt(Alphabet.Length)];
        });
    }

    private static string NewUnique(HashSet<string> seen, Func<string> next)
    {
        while (true)
        {
            var code = next();
            if (seen.Add(code))
                return code;
        }
    }
}
