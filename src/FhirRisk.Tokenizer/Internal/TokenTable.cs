namespace FhirRisk.Tokenizer.Internal;

/// <summary>What a token id means to the decoder.</summary>
internal enum TokenKind : byte
{
    Code,
    TimelineEnd,
    Interval,
    Quantile,
    Unknown,
    Static,
    HierarchyCategory,
    HierarchyRemainder,
    HierarchySuffix,
}

/// <summary>Each token id's <see cref="TokenKind"/> and argument (interval index, bin, hierarchy index and text).</summary>
internal sealed class TokenTable
{
    private readonly TokenKind[] _kinds;
    private readonly int[] _arguments;
    private readonly string[] _texts;

    public TokenTable(Vocabulary vocabulary, TokenizerSettings settings)
    {
        _kinds = new TokenKind[vocabulary.Count];
        _arguments = new int[vocabulary.Count];
        _texts = new string[vocabulary.Count];
        var reserved = new Dictionary<string, (TokenKind, int)>(StringComparer.Ordinal) { [Vocabulary.TimelineEnd] = (TokenKind.TimelineEnd, 0) };
        for (var i = 0; i < settings.Intervals.Count; i++)
            reserved[settings.Intervals[i].Name] = (TokenKind.Interval, i);
        for (var bin = 1; bin <= CodeQuantiles.BinCount; bin++)
            reserved[Vocabulary.QuantileToken(bin)] = (TokenKind.Quantile, bin);
        reserved[Vocabulary.Unknown] = (TokenKind.Unknown, 0);
        reserved[Vocabulary.AgeUnknown] = (TokenKind.Static, 0);
        var staticFields = settings.StaticFields.ToHashSet(StringComparer.Ordinal);

        for (var id = 0; id < vocabulary.Count; id++)
        {
            var token = vocabulary[id];
            _texts[id] = token;
            if (reserved.TryGetValue(token, out var entry))
                (_kinds[id], _arguments[id]) = entry;
            else if (staticFields.Contains(Vocabulary.VocabularyOf(token)))
                _kinds[id] = TokenKind.Static;
            else if (token.StartsWith(Vocabulary.UnknownPrefix, StringComparison.Ordinal))
                _kinds[id] = TokenKind.Unknown;
            else
                ClassifyCode(id, token, settings.Hierarchies);
        }
    }

    public TokenKind Kind(int id) => _kinds[id];

    public int Argument(int id) => _arguments[id];

    /// <summary>The token text, or for a hierarchy subtoken its category, remainder or suffix characters.</summary>
    public string Text(int id) => _texts[id];

    private void ClassifyCode(int id, string token, IReadOnlyList<CodeHierarchy> hierarchies)
    {
        for (var h = 0; h < hierarchies.Count; h++)
        {
            var family = hierarchies[h];
            if (!family.Split || !token.StartsWith(family.Prefix, StringComparison.Ordinal))
                continue;
            var body = token[family.Prefix.Length..];
            (TokenKind kind, string text) = body.StartsWith(CodeHierarchy.RemainderInfix, StringComparison.Ordinal)
                ? (TokenKind.HierarchyRemainder, body[CodeHierarchy.RemainderInfix.Length..])
                : body.StartsWith(CodeHierarchy.SuffixInfix, StringComparison.Ordinal)
                    ? (TokenKind.HierarchySuffix, body[CodeHierarchy.SuffixInfix.Length..])
                    : body.Length == family.CategoryLength ? (TokenKind.HierarchyCategory, body) : (TokenKind.Code, token);
            if (kind == TokenKind.Code)
                continue;
            (_kinds[id], _arguments[id], _texts[id]) = (kind, h, text);
            return;
        }
        _kinds[id] = TokenKind.Code;
    }
}
