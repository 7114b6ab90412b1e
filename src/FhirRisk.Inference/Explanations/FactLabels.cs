using System.Globalization;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Explanations;

/// <summary>
/// Short readable labels for clinical facts, as a CDS Hooks card shows them: a code's description when the record or
/// the host gave one (<see cref="ExplanationQuery.CodeDescriptions"/>, <see cref="ExplanationSettings.CodeDescriptions"/>:
/// "Heart rate" for <c>LOINC//8867-4</c>), else the special codes of DESIGN §3 in words
/// (<c>HOSPITAL_ADMISSION//EMER</c> → "Hospital admission (EMER)") and other codes as vocabulary and code
/// (<c>LOINC//2524-7//mmol/L</c> → "LOINC 2524-7"), then the value the decile token stands for, with its unit as
/// people write it (<see cref="UcumDisplay"/>: <c>Cel</c> → "°C").
/// </summary>
public static class FactLabels
{
    /// <summary>Labels are cut to this many characters (a card's detail line).</summary>
    public const int MaxLength = 96;

    private static readonly (string Prefix, string Words)[] s_special =
    [
        (MedsSchema.DeathCode, "Death"),
        (MedsSchema.BirthCode, "Birth"),
        (TaskCodes.HospitalAdmission, "Hospital admission"),
        (TaskCodes.HospitalDischarge, "Hospital discharge"),
        (TaskCodes.IcuAdmission, "ICU admission"),
        (TaskCodes.IcuDischarge, "ICU discharge"),
        (TaskCodes.EdRegistration, "ED registration"),
        (TaskCodes.EdOut, "Left the ED"),
        ("VISIT", "Visit"),
        (Vocabulary.TimelineEnd, "End of record"),
    ];

    private static readonly Dictionary<string, string> s_vocabularies = new(StringComparer.Ordinal)
    {
        ["ICD10CM"] = "ICD-10-CM",
        ["ICD10"] = "ICD-10",
        ["ICD9CM"] = "ICD-9-CM",
        ["ICD10PCS"] = "ICD-10-PCS",
        ["ICD9PROC"] = "ICD-9 procedure",
        ["RXNORM"] = "RxNorm",
        ["SNOMED"] = "SNOMED CT",
        ["CPT4"] = "CPT",
    };

    /// <summary>The label of one event.</summary>
    /// <param name="code">The event's code as decoding writes it.</param>
    /// <param name="bin">The decile of its value, when it has one.</param>
    /// <param name="value">The value decoding gives that decile.</param>
    /// <param name="descriptions">Readable names by code; may be null.</param>
    public static string ForEvent(string code, int? bin, float? value, IReadOnlyDictionary<string, string>? descriptions = null) =>
        ForEvent(code, bin, value, null, null, descriptions);

    /// <summary>
    /// The label of one event whose decile's bounds are known: the range the recorded value lay in ("&gt; 37.4 Cel",
    /// "1.51–1.84 mg/dL", "≤ 111 mm[Hg]"), not the decile's median. A fever of 38.5 °C in the top decile read "≈37.6
    /// Cel", a systolic pressure of 85 in the lowest "≈104 mm[Hg]" (review s22 explain M1): the open-ended bins, where
    /// the abnormal values are, have medians far from their extremes.
    /// </summary>
    /// <param name="lower">The break below the decile (none for the lowest).</param>
    /// <param name="upper">The break the decile does not exceed (none for the highest).</param>
    public static string ForEvent(string code, int? bin, float? value, float? lower, float? upper, IReadOnlyDictionary<string, string>? descriptions = null) =>
        ForEvent(code, bin, value, lower, upper, new CodeNames(descriptions));

    /// <summary>As <see cref="ForEvent(string, int?, float?, float?, float?, IReadOnlyDictionary{string, string}?)"/>, with
    /// names looked up in layers.</summary>
    internal static string ForEvent(string code, int? bin, float? value, float? lower, float? upper, CodeNames names)
    {
        ArgumentNullException.ThrowIfNull(code);
        var parts = code.Split("//");
        // A quantized code ends with its normalized unit (DESIGN §3: LOINC//2160-0//mg/dL); only a value shows it.
        var hasUnit = bin is not null && parts.Length >= 3;
        var name = names.Of(code) ?? Name(code, parts, hasUnit);
        if (bin is not { } decile)
            return Cut(name);
        var unit = hasUnit && UcumDisplay.Of(parts[^1]) is { Length: > 0 } shown ? " " + shown : "";
        // A bound keeps four significant digits, so that "≤ 111" never stands for a break of 111.3.
        var amount = (lower, upper, value) switch
        {
            ({ } low, { } high, _) => $" {Number(low, 4)}–{Number(high, 4)}{unit},",
            (null, { } high, _) => $" ≤ {Number(high, 4)}{unit},",
            ({ } low, null, _) => $" > {Number(low, 4)}{unit},",
            (null, null, { } v) => $" ≈{Number(v, 3)}{unit},",
            _ => "",
        };
        return Cut(string.Create(CultureInfo.InvariantCulture, $"{name}:{amount} decile {decile} of 10"));
    }

    // A few significant digits, never in exponent form (a BNP of 1,500 read "1.5E+03"); at 10^digits or more, whole
    // numbers with thousands separators.
    private static string Number(float value, int digits)
    {
        var decimals = Math.Clamp(digits - 1 - (int)Math.Floor(Math.Log10(Math.Max(Math.Abs((double)value), 1e-15))), 0, 15);
        var rounded = Math.Round((double)value, decimals, MidpointRounding.AwayFromZero);
        return Math.Abs(rounded) >= Math.Pow(10, digits)
            ? rounded.ToString("#,0", CultureInfo.InvariantCulture)
            : rounded.ToString("#,0.###########", CultureInfo.InvariantCulture);
    }

    /// <summary>The label of time that passed with no event after it (the interval tokens' names).</summary>
    public static string ForTime(IReadOnlyList<string> intervals) => Cut($"Time passed ({string.Join(" + ", intervals)})");

    /// <summary>Joins the labels of events grouped into one fact: the first three, then how many more.</summary>
    public static string ForGroup(IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var more = labels.Count > 3 ? string.Create(CultureInfo.InvariantCulture, $"; +{labels.Count - 3} more") : "";
        var shown = labels.Take(3).ToArray();
        var joined = string.Join("; ", shown) + more;
        if (joined.Length <= MaxLength)
            return joined;
        // Each shown label gets an equal share, so that a long first name does not push the others and "+N more" out of
        // the line: a card merges rows by label, and two panels cut to their first lab's name read as one (review s23 M1).
        var share = Math.Max(8, (MaxLength - more.Length - 2 * (shown.Length - 1)) / shown.Length);
        return Cut(string.Join("; ", shown.Select(l => Meds.FhirMapping.CodeDescriptions.Cut(l, share))) + more);
    }

    private static string Name(string code, string[] parts, bool hasUnit)
    {
        foreach (var (prefix, words) in s_special)
        {
            if (CodeSet.Matches(code, prefix))
                return code.Length == prefix.Length ? words : $"{words} ({code[(prefix.Length + 2)..]})";
        }
        // An unknown token stands for a code the model cannot name: too rare in its training data, or never in it (a
        // site's codes read by a model trained elsewhere: walkthrough review s21 L12, where "too rare" misled).
        if (code == Vocabulary.Unknown)
            return "A code unknown to the model";
        if (code.StartsWith(Vocabulary.UnknownPrefix, StringComparison.Ordinal))
            return $"A {Friendly(parts[1])} code unknown to the model";
        if (parts.Length == 1)
            return code.Replace('_', ' ');
        // Vocabulary and code; a quantized code's trailing unit is shown with the value instead. Any other third part is
        // part of what the code names (ALLERGY//SNOMED//91936005, DIAGNOSIS//ICD//10//I509): dropping it gave every
        // allergy one label, and a card merges rows by label (review s22 explain M2).
        var body = hasUnit ? parts[1..^1] : parts[1..];
        return $"{Friendly(parts[0])} {string.Join(' ', body)}";
    }

    private static string Friendly(string vocabulary) => s_vocabularies.GetValueOrDefault(vocabulary, vocabulary);

    private static string Cut(string label) => Meds.FhirMapping.CodeDescriptions.Cut(label, MaxLength);
}
