using FhirRisk.Tokenizer;

namespace FhirRisk.Training.Baselines;

/// <summary>
/// The features one event's code counts toward: the code itself and, for a hierarchical family such as ICD, each of its
/// ancestors down to the category (<c>ICD10CM//E11.65</c> → itself, <c>ICD10CM//E11.6</c>, <c>ICD10CM//E11</c>), as
/// EHRSHOT's count featurizer expands ontology ancestors (reference/peers.md §3.3). Results are cached per code.
/// </summary>
internal sealed class CodeRollup(IReadOnlyList<CodeHierarchy> hierarchies)
{
    private readonly Dictionary<string, string[]> _cache = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Expand(string code)
    {
        if (_cache.TryGetValue(code, out var features))
            return features;
        features = CodeHierarchy.Find(hierarchies, code) is { } family ? [code, .. family.Ancestors(code)] : [code];
        _cache[code] = features;
        return features;
    }
}
