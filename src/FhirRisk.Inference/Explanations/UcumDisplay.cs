using System.Text;

namespace FhirRisk.Inference.Explanations;

/// <summary>
/// A UCUM unit code (what a quantized code ends with, DESIGN §3) as a clinician writes it, for labels: <c>Cel</c> → "°C",
/// <c>mm[Hg]</c> → "mmHg", <c>10*3/uL</c> → "10³/µL", <c>kg/m2</c> → "kg/m²", <c>{beats}/min</c> → "/min". UCUM codes are
/// made for machines (case-sensitive, brackets around customary units, <c>u</c> for micro), so a card that printed them
/// read "&gt; 37.4 Cel". Only the display changes; units this does not know are shown as written, without UCUM's square
/// brackets.
/// </summary>
public static class UcumDisplay
{
    // Whole atoms (the text between operators) and how they read.
    private static readonly Dictionary<string, string> s_atoms = new(StringComparer.Ordinal)
    {
        ["Cel"] = "°C", ["[degF]"] = "°F", ["mm[Hg]"] = "mmHg", ["cm[H2O]"] = "cmH₂O", ["[in_i]"] = "in", ["[lb_av]"] = "lb",
        ["[oz_av]"] = "oz", ["[ft_i]"] = "ft", ["[IU]"] = "IU", ["[iU]"] = "IU", ["[pH]"] = "pH", ["[drp]"] = "drops",
        ["meq"] = "mEq", ["mosm"] = "mOsm", ["osm"] = "Osm", ["uL"] = "µL", ["ug"] = "µg", ["umol"] = "µmol", ["uU"] = "µU",
        ["um"] = "µm", ["ueq"] = "µEq", ["uIU"] = "µIU", ["u[IU]"] = "µIU", ["10*3"] = "10³", ["10*6"] = "10⁶",
        ["10*9"] = "10⁹", ["10*12"] = "10¹²", ["m2"] = "m²", ["m3"] = "m³", ["cm2"] = "cm²", ["mm2"] = "mm²", ["mm3"] = "mm³",
    };

    /// <summary>How <paramref name="unit"/> reads; empty for a unit of no dimension (<c>1</c>, an annotation alone such as
    /// <c>{score}</c>).</summary>
    public static string Of(string unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var text = unit.Trim();
        if (text is "1" || (text.StartsWith('{') && text.EndsWith('}') && text.IndexOf('}') == text.Length - 1))
            return "";
        var shown = new StringBuilder(text.Length + 4);
        var atom = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '{')
            {
                // An annotation that says what was counted ({beats}/min, {cells}/uL) is left out, as people write "/min".
                // Two kinds are kept, without their braces: a denominator's whole (mL/min/{1.73_m2}, the unit's only hint
                // of what it is per) and an acronym after a unit (mg{FEU}/L: fibrinogen-equivalent units, a D-dimer's basis).
                var close = text.IndexOf('}', i);
                if (close < 0)
                {
                    atom.Append(text, i, text.Length - i);
                    break;
                }
                var note = text[(i + 1)..close];
                if (atom.Length == 0 && shown.Length > 0 && shown[^1] == '/' && close + 1 == text.Length)
                    shown.Append(string.Join(' ', note.Split('_').Select(word => s_atoms.GetValueOrDefault(word, word))));
                else if (atom.Length > 0 && note.Length > 0 && note.All(char.IsAsciiLetterUpper))
                {
                    Flush(atom, shown);
                    shown.Append(' ').Append(note);
                }
                i = close;
                continue;
            }
            // UCUM's multiplication dot; a dot between digits is a decimal point (a unit written as text: 1.73).
            if (c == '/' || (c == '.' && !(i > 0 && char.IsAsciiDigit(text[i - 1]) && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))))
            {
                Flush(atom, shown);
                shown.Append(c == '.' ? "·" : "/");
                continue;
            }
            atom.Append(c);
        }
        Flush(atom, shown);
        return shown.ToString();
    }

    private static void Flush(StringBuilder atom, StringBuilder shown)
    {
        if (atom.Length == 0)
            return;
        var text = atom.ToString();
        atom.Clear();
        // An atom the table does not know loses UCUM's brackets around customary units ([HPF] → HPF, m[IU] → mIU).
        shown.Append(s_atoms.TryGetValue(text, out var known) ? known : text.Replace("[", "", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal));
    }
}
