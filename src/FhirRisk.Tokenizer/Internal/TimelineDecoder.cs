using FhirRisk.Meds;

namespace FhirRisk.Tokenizer.Internal;

/// <summary>
/// Tokens → MEDS events for <see cref="TimelineTokenizer.Decode"/>. A split ICD code is pending until a token that does
/// not continue it arrives, so category + remainder + suffix subtokens become one event again.
/// </summary>
internal sealed class TimelineDecoder(TimelineTokenizer tokenizer, TokenTable table)
{
    private readonly List<MedsEvent> _events = [];
    private long _subjectId;
    private long _clock;
    private int _pendingFamily = -1;
    private long _pendingTime;
    private string _category = "", _remainder = "", _suffix = "";

    public IReadOnlyList<MedsEvent> Decode(ReadOnlySpan<int> tokens, long subjectId, long originMicros)
    {
        _subjectId = subjectId;
        _clock = originMicros;
        foreach (var id in tokens)
        {
            if ((uint)id >= (uint)tokenizer.Vocabulary.Count)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"Token id {id} is outside the vocabulary (0..{tokenizer.Vocabulary.Count - 1}).");
            var kind = table.Kind(id);
            if (kind is TokenKind.HierarchyRemainder or TokenKind.HierarchySuffix && Continues(kind, id))
                continue;
            Flush();
            switch (kind)
            {
                case TokenKind.TimelineEnd:
                    return _events;
                case TokenKind.Interval:
                    _clock += tokenizer.DecodeMicros(table.Argument(id));
                    break;
                case TokenKind.Quantile:
                    SetValue(table.Argument(id));
                    break;
                case TokenKind.Code or TokenKind.Unknown:
                    Emit(table.Text(id));
                    break;
                case TokenKind.HierarchyCategory:
                    (_pendingFamily, _pendingTime, _category, _remainder, _suffix) = (table.Argument(id), _clock, table.Text(id), "", "");
                    break;
            }
        }
        Flush();
        return _events;
    }

    // A remainder continues a pending category, a suffix a pending remainder, of the same family.
    private bool Continues(TokenKind kind, int id)
    {
        if (_pendingFamily != table.Argument(id) || _suffix.Length > 0)
            return false;
        if (kind == TokenKind.HierarchyRemainder && _remainder.Length == 0)
            _remainder = table.Text(id);
        else if (kind == TokenKind.HierarchySuffix && _remainder.Length > 0)
            _suffix = table.Text(id);
        else
            return false;
        return true;
    }

    private void Flush()
    {
        if (_pendingFamily < 0)
            return;
        var family = tokenizer.Settings.Hierarchies[_pendingFamily];
        _events.Add(new MedsEvent(_subjectId, MicrosecondTime.ToDateTime(_pendingTime), family.Join(_category, _remainder, _suffix)));
        _pendingFamily = -1;
    }

    // A constant-valued quantized code has no Q token; its one value is implied by the code.
    private void Emit(string code)
    {
        float? value = tokenizer.Quantiles.TryGetValue(code, out var quantiles) && !quantiles.HasBins ? quantiles.ValueOf(1) : null;
        _events.Add(new MedsEvent(_subjectId, MicrosecondTime.ToDateTime(_clock), code, value));
    }

    // A Q token after a quantized code that has no value yet; anywhere else (e.g. sampled by a model) it says nothing.
    private void SetValue(int bin)
    {
        if (_events.Count == 0)
            return;
        var last = _events[^1];
        if (last.NumericValue is null && tokenizer.Quantiles.TryGetValue(last.Code, out var quantiles))
            _events[^1] = last with { NumericValue = quantiles.ValueOf(bin) };
    }
}
