using System.Text.RegularExpressions;

namespace FhirRisk.Inference.Explanations;

/// <summary>
/// A LOINC long common name as a card's line reads it. Records name a test by its long common name, built from LOINC's
/// parts: component, [property], timing, system, method (LOINC Users' Guide, "Long Common Name"): "Creatinine
/// [Mass/volume] in Serum or Plasma", "Platelets [#/volume] in Blood by Automated count". A label already shows the
/// value with its unit, which says what the property says, and a clinician reads serum, plasma or whole blood as the
/// specimen unless told otherwise; so the property and those specimens are dropped ("Creatinine: ≤ 0.73 mg/dL"), and
/// so is an automated count, the usual method. Any other specimen ("in Urine", "in Arterial blood") or method ("by Pulse
/// oximetry") stays, as two tests differ by them.
/// </summary>
internal static partial class LoincNames
{
    /// <summary>The short form of <paramref name="name"/>, or the name itself when nothing in it is dropped (or all of it
    /// would be).</summary>
    public static string Short(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var shortened = Property().Replace(name, "");
        shortened = CommonSpecimen().Replace(shortened, "");
        shortened = AutomatedCount().Replace(shortened, "").Trim();
        return shortened.Length == 0 ? name : shortened;
    }

    /// <summary>Whether <paramref name="code"/> (a MEDS code) is a LOINC code, whose names <see cref="Short"/> reads.</summary>
    public static bool IsLoinc(string code) => Tokenizer.Vocabulary.VocabularyOf(code) == "LOINC";

    // " [Mass/volume]": a bracketed part between words or at the end, as LOINC writes the property.
    [GeneratedRegex(@" \[[^\[\]]+\](?= |$)", RegexOptions.CultureInvariant)]
    private static partial Regex Property();

    // " in Serum or Plasma" as the system, at the end or before the method; not inside a component ("Cholesterol in LDL").
    [GeneratedRegex(@" in (?:Serum or Plasma|Serum|Plasma|Blood)(?= by |$)", RegexOptions.CultureInvariant)]
    private static partial Regex CommonSpecimen();

    [GeneratedRegex(@" by Automated count$", RegexOptions.CultureInvariant)]
    private static partial Regex AutomatedCount();
}
