namespace FhirRisk.Tokenizer.Internal;

/// <summary>
/// Lays out the vocabulary (docs/formats/tokenizer.md): reserved tokens in a fixed order, static tokens A→Z,
/// <c>UNK//&lt;vocab&gt;</c> for every vocabulary of the train codes A→Z, then the code tokens with at least
/// <see cref="TokenizerSettings.MinCount"/> occurrences by descending count (ties A→Z) up to
/// <see cref="TokenizerSettings.MaxVocabularySize"/>. A code token left out adds its count to its vocabulary's UNK.
/// Small-cell rule: a code token of fewer than <see cref="TokenizerSettings.MinSubjects"/> subjects is left out too, and
/// a static value of fewer subjects is counted under its field's <c>//UNKNOWN</c> token instead.
/// </summary>
internal sealed class VocabularyBuilder
{
    private readonly List<string> _reserved;
    private readonly IReadOnlyList<KeyValuePair<string, long>> _statics;
    private readonly SortedDictionary<string, long> _unknowns = new(StringComparer.Ordinal);
    private readonly List<KeyValuePair<string, long>> _codes = [];
    private readonly HashSet<string> _kept = new(StringComparer.Ordinal);

    public VocabularyBuilder(TokenizerSettings settings, IReadOnlyDictionary<string, long> staticCounts, IReadOnlyDictionary<string, long> tokenCounts,
        IReadOnlyDictionary<string, long> tokenSubjects)
    {
        _reserved = [Vocabulary.TimelineEnd, .. settings.Intervals.Select(i => i.Name),
            .. Enumerable.Range(1, CodeQuantiles.BinCount).Select(Vocabulary.QuantileToken), Vocabulary.Unknown];
        if (settings.StaticFields.Contains(TokenizerSettings.AgeField))
            _reserved.Add(Vocabulary.AgeUnknown);
        _statics = SmallCellStatics(settings, staticCounts).OrderBy(s => s.Key, StringComparer.Ordinal).ToArray();

        var taken = _reserved.Concat(_statics.Select(s => s.Key)).ToHashSet(StringComparer.Ordinal);
        var candidates = new List<KeyValuePair<string, long>>();
        foreach (var (token, count) in tokenCounts)
        {
            var unknown = Vocabulary.UnknownPrefix + Vocabulary.VocabularyOf(token);
            _unknowns.TryAdd(unknown, 0);
            if (count >= settings.MinCount && tokenSubjects[token] >= settings.MinSubjects && !taken.Contains(token) && !token.StartsWith(Vocabulary.UnknownPrefix, StringComparison.Ordinal))
                candidates.Add(new(token, count));
            else
                _unknowns[unknown] += count;
        }
        candidates.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        var slots = settings.MaxVocabularySize - _reserved.Count - _statics.Count - _unknowns.Count;
        if (slots < 0)
            throw new ArgumentException($"MaxVocabularySize {settings.MaxVocabularySize} leaves no room: reserved, static and UNK tokens alone number {settings.MaxVocabularySize - slots}.");
        foreach (var (token, count) in candidates)
        {
            if (_codes.Count < slots)
            {
                _codes.Add(new(token, count));
                _kept.Add(token);
            }
            else
            {
                _unknowns[Vocabulary.UnknownPrefix + Vocabulary.VocabularyOf(token)] += count;
            }
        }
    }

    // Static counts are subjects; a value of fewer than MinSubjects goes to <FIELD>//UNKNOWN, as an unseen value would.
    private static Dictionary<string, long> SmallCellStatics(TokenizerSettings settings, IReadOnlyDictionary<string, long> staticCounts)
    {
        var kept = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (token, subjects) in staticCounts.Where(s => s.Key.EndsWith(Vocabulary.UnknownValueSuffix, StringComparison.Ordinal)))
            kept[token] = subjects;
        foreach (var (token, subjects) in staticCounts.Where(s => !s.Key.EndsWith(Vocabulary.UnknownValueSuffix, StringComparison.Ordinal)))
        {
            if (subjects >= settings.MinSubjects)
                kept[token] = subjects;
            else
                kept[token[..token.IndexOf("//", StringComparison.Ordinal)] + Vocabulary.UnknownValueSuffix] += subjects;
        }
        return kept;
    }

    /// <summary>Whether a code token made the vocabulary.</summary>
    public bool Keeps(string token) => _kept.Contains(token);

    public Vocabulary Build(IReadOnlyDictionary<string, long> reservedCounts)
    {
        var tokens = new List<string>();
        var counts = new List<long>();
        foreach (var token in _reserved)
            Add(token, reservedCounts.GetValueOrDefault(token));
        foreach (var (token, count) in _statics.Concat(_unknowns).Concat(_codes))
            Add(token, count);
        return new Vocabulary(tokens, counts);

        void Add(string token, long count)
        {
            tokens.Add(token);
            counts.Add(count);
        }
    }
}
