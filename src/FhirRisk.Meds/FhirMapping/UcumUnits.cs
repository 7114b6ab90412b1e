using FhirRisk.Fhir.Model;

namespace FhirRisk.Meds.FhirMapping;

/// <summary>
/// The unit appended to numeric observation codes (DESIGN §3: <c>LOINC//2160-0//mg/dL</c>). UCUM
/// (https://ucum.org/ucum) is case-sensitive, so a Quantity's <c>code</c> is used verbatim when its system is UCUM;
/// otherwise the human <c>unit</c> (or a non-UCUM code, e.g. MIMIC's <c>mimic-units</c>) is mapped through a table of
/// common spellings to its UCUM form. Text with no table entry is kept trimmed (the unit still separates codes) and
/// reported by <see cref="TryNormalize"/> as not normalized.
/// </summary>
public static class UcumUnits
{
    private const string UcumSystem = "http://unitsofmeasure.org";

    // Common non-UCUM spellings seen in EHR exports (MIMIC-IV d_labitems/d_items, Synthea) → UCUM case-sensitive codes.
    // A bare "units" (or "u", as insulin is often charted) says nothing of which unit (international units of insulin,
    // USP units of heparin, transfused units…), so it becomes the UCUM annotation {units}, a valid dimensionless unit
    // that claims no more. (Until 2026-12-06 both were written "[U]", which is not UCUM: a tokenizer fitted on codes
    // ingested before reads the new codes as unknown until it is fitted again.) "U/L" keeps UCUM's enzyme unit.
    private static readonly Dictionary<string, string> s_spellings = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mg/dl"] = "mg/dL", ["g/dl"] = "g/dL", ["ml"] = "mL", ["l"] = "L", ["dl"] = "dL", ["ul"] = "uL",
        ["mmhg"] = "mm[Hg]", ["mm hg"] = "mm[Hg]", ["bpm"] = "/min", ["beats/min"] = "/min", ["breaths/min"] = "/min",
        ["insp/min"] = "/min", ["/min"] = "/min", ["deg c"] = "Cel", ["°c"] = "Cel", ["celsius"] = "Cel", ["c"] = "Cel",
        ["deg f"] = "[degF]", ["°f"] = "[degF]", ["f"] = "[degF]", ["kg"] = "kg", ["g"] = "g", ["mg"] = "mg",
        ["mcg"] = "ug", ["ug"] = "ug", ["lbs"] = "[lb_av]", ["lb"] = "[lb_av]", ["in"] = "[in_i]", ["inch"] = "[in_i]",
        ["cm"] = "cm", ["%"] = "%", ["percent"] = "%", ["meq/l"] = "meq/L", ["mmol/l"] = "mmol/L", ["iu/l"] = "[IU]/L",
        ["u/l"] = "U/L", ["units"] = "{units}", ["unit"] = "{units}", ["u"] = "{units}", ["k/ul"] = "10*3/uL", ["m/ul"] = "10*6/uL",
        ["ng/ml"] = "ng/mL", ["pg/ml"] = "pg/mL", ["mg/l"] = "mg/L", ["mosm/kg"] = "mosm/kg", ["sec"] = "s",
        ["seconds"] = "s", ["min"] = "min", ["hr"] = "h", ["hours"] = "h", ["kg/m2"] = "kg/m2", ["ml/min"] = "mL/min",
        ["ml/hr"] = "mL/h", ["mg/hr"] = "mg/h", ["mcg/kg/min"] = "ug/kg/min", ["fl"] = "fL", ["pg"] = "pg",
        ["ratio"] = "{ratio}", ["score"] = "{score}",
    };

    /// <summary>The unit suffix for a quantity, or null when it has none (then the code gets no suffix).</summary>
    public static string? Normalize(FhirQuantity? quantity)
    {
        _ = TryNormalize(quantity, out var unit);
        return unit;
    }

    /// <summary>
    /// False when the quantity has unit text that is neither a UCUM code nor a known spelling; <paramref name="unit"/>
    /// then holds the trimmed text (still used as the suffix). True with a null unit when there is no unit at all.
    /// </summary>
    public static bool TryNormalize(FhirQuantity? quantity, out string? unit)
    {
        unit = null;
        if (quantity is null)
            return true;
        var code = quantity.Code?.Trim();
        if (!string.IsNullOrEmpty(code) && IsUcum(quantity.System))
        {
            unit = code;
            return true;
        }
        foreach (var candidate in new[] { code, quantity.Unit?.Trim() })
        {
            if (!string.IsNullOrEmpty(candidate) && s_spellings.TryGetValue(candidate, out var mapped))
            {
                unit = mapped;
                return true;
            }
        }
        var text = !string.IsNullOrEmpty(quantity.Unit?.Trim()) ? quantity.Unit.Trim() : code;
        if (string.IsNullOrEmpty(text))
            return true;
        unit = text;
        return false;
    }

    private static bool IsUcum(string? system) =>
        system is not null && system.Trim().TrimEnd('/').Replace("https://", "http://", StringComparison.OrdinalIgnoreCase)
            .Equals(UcumSystem, StringComparison.OrdinalIgnoreCase);
}
