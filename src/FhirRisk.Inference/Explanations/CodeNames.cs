using FhirRisk.Meds.FhirMapping;

namespace FhirRisk.Inference.Explanations;

/// <summary>
/// Where a fact's label finds its code's name: dictionaries of names in order of precedence (the patient's record, the
/// host's, the model's tokenizer), each asked whole before the next.
/// </summary>
internal sealed class CodeNames(params IReadOnlyDictionary<string, string>?[] layers)
{
    /// <summary>The first layer's name of <paramref name="code"/>, or null; a LOINC name as a card reads it
    /// (<see cref="LoincNames.Short"/>: "Creatinine" for "Creatinine [Mass/volume] in Serum or Plasma").</summary>
    public string? Of(string code)
    {
        foreach (var layer in layers)
        {
            if (layer is { Count: > 0 } && Described(layer, code) is { } name)
                return LoincNames.IsLoinc(code) ? LoincNames.Short(name) : name;
        }
        return null;
    }

    // The code's own name, or its concept's (a measurement's code without its unit), or, for an ICD code decoding wrote
    // with its family's separator (ICD10CM//I50.9), the name of the same code written without it (MIMIC-IV's I509).
    private static string? Described(IReadOnlyDictionary<string, string> names, string code) =>
        CodeDescriptions.Lookup(names, code)
        ?? (code.Contains('.', StringComparison.Ordinal) && code.IndexOf("//", StringComparison.Ordinal) is > 0 and var cut
            ? CodeDescriptions.Lookup(names, string.Concat(code.AsSpan(0, cut + 2), code[(cut + 2)..].Replace(".", "", StringComparison.Ordinal)))
            : null);
}
