namespace FhirRisk.Tokenizer.Internal;

/// <summary>
/// Tokens → <see cref="TimelineSegment"/>s for <see cref="TimelineTokenizer.Segment"/>. It reads a token stream as the
/// <see cref="TimelineDecoder"/> does (a remainder continues a category of its family, a suffix a remainder, a decile
/// the quantized code before it) but keeps token ranges instead of events, so explanations can add or remove whole
/// events. Interval tokens belong to the event they lead to; time tokens that no event follows form their own segment.
/// </summary>
internal sealed class TimelineSegmenter(TimelineTokenizer tokenizer, TokenTable table)
{
    private readonly List<TimelineSegment> _segments = [];
    private int _family = -1;
    private string _category = "", _remainder = "", _suffix = "";

    public IReadOnlyList<TimelineSegment> Segment(ReadOnlySpan<int> tokens)
    {
        var time = -1; // the first of the interval tokens not yet followed by an event
        for (var i = 0; i < tokens.Length; i++)
        {
            var id = tokens[i];
            if ((uint)id >= (uint)tokenizer.Vocabulary.Count)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"Token id {id} is outside the vocabulary (0..{tokenizer.Vocabulary.Count - 1}).");
            var kind = table.Kind(id);
            if (kind == TokenKind.Interval)
            {
                time = time < 0 ? i : time;
                continue;
            }
            if (time < 0 && Extends(kind, id, i))
                continue;
            var start = time < 0 ? i : time;
            time = -1;
            _family = -1;
            string? code = kind switch
            {
                TokenKind.HierarchyCategory => StartCategory(id),
                TokenKind.Quantile or TokenKind.HierarchyRemainder or TokenKind.HierarchySuffix => null,
                _ => table.Text(id),
            };
            _segments.Add(new TimelineSegment(start, i, i + 1, code, null, null));
        }
        if (time >= 0)
            _segments.Add(new TimelineSegment(time, tokens.Length, tokens.Length, null, null, null));
        return _segments;
    }

    private string StartCategory(int id)
    {
        (_family, _category, _remainder, _suffix) = (table.Argument(id), table.Text(id), "", "");
        return tokenizer.Settings.Hierarchies[_family].Join(_category, "", "");
    }

    // A decile after a quantized code that has none yet, or a subtoken continuing the last segment's category.
    private bool Extends(TokenKind kind, int id, int index)
    {
        if (_segments.Count == 0 || _segments[^1] is not { Code: { } code } last || last.End != index)
            return false;
        if (kind == TokenKind.Quantile)
        {
            if (last.Bin is not null || !tokenizer.Quantiles.TryGetValue(code, out var quantiles))
                return false;
            var bin = table.Argument(id);
            // Bin b holds Breaks[b − 2] < v ≤ Breaks[b − 1] (CodeQuantiles.Bin).
            var breaks = quantiles.Breaks;
            _segments[^1] = last with
            {
                End = index + 1, Bin = bin, NumericValue = quantiles.ValueOf(bin),
                BinLower = bin >= 2 && bin - 2 < breaks.Count ? breaks[bin - 2] : null,
                BinUpper = bin >= 1 && bin - 1 < breaks.Count ? breaks[bin - 1] : null,
            };
            _family = -1;
            return true;
        }
        if (kind is not (TokenKind.HierarchyRemainder or TokenKind.HierarchySuffix) || table.Argument(id) != _family || _suffix.Length > 0)
            return false;
        if (kind == TokenKind.HierarchyRemainder && _remainder.Length == 0)
            _remainder = table.Text(id);
        else if (kind == TokenKind.HierarchySuffix && _remainder.Length > 0)
            _suffix = table.Text(id);
        else
            return false;
        _segments[^1] = last with { End = index + 1, Code = tokenizer.Settings.Hierarchies[_family].Join(_category, _remainder, _suffix) };
        return true;
    }
}
