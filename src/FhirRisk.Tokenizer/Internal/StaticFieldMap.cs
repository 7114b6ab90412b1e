using FhirRisk.Meds;

namespace FhirRisk.Tokenizer.Internal;

/// <summary>Which codes feed the static prefix instead of the timeline: <c>MEDS_BIRTH</c> and the static fields' codes.</summary>
internal sealed class StaticFieldMap
{
    private readonly Dictionary<string, int> _fieldByVocabulary = new(StringComparer.Ordinal);

    // Looked up by a slice of the code, so the per-event check allocates nothing.
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _fieldBySpan;

    public StaticFieldMap(TokenizerSettings settings)
    {
        Fields = settings.StaticFields.Where(f => f != TokenizerSettings.AgeField).ToArray();
        for (var i = 0; i < Fields.Count; i++)
            _fieldByVocabulary[Fields[i]] = i;
        _fieldBySpan = _fieldByVocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The static fields other than age, in prefix order.</summary>
    public IReadOnlyList<string> Fields { get; }

    public static bool IsBirth(string code) => code == MedsSchema.BirthCode;

    /// <summary>The field index of <paramref name="code"/> (<c>RACE//…</c> → RACE's), or -1 for a timeline code.</summary>
    public int FieldOf(string code)
    {
        var end = code.IndexOf("//", StringComparison.Ordinal);
        return end > 0 && _fieldBySpan.TryGetValue(code.AsSpan(0, end), out var field) ? field : -1;
    }
}
