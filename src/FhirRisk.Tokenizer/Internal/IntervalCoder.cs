namespace FhirRisk.Tokenizer.Internal;

/// <summary>
/// Gap → interval tokens (reference/ethos.md §1.3): the token with the largest lower bound not above the gap; none
/// below the first bound; the last token <c>round(gap / bound)</c> times (halves away from zero).
/// </summary>
internal sealed class IntervalCoder
{
    private readonly long[] _lowerBounds;

    public IntervalCoder(IReadOnlyList<TimeIntervalToken> intervals)
    {
        _lowerBounds = intervals.Select(i => i.LowerBound.Ticks / TimeSpan.TicksPerMicrosecond).ToArray();
    }

    public int Count => _lowerBounds.Length;

    public long LowerBound(int interval) => _lowerBounds[interval];

    /// <summary>The exclusive upper bound of <paramref name="interval"/>; null for the repeated last one.</summary>
    public long? UpperBound(int interval) => interval + 1 < _lowerBounds.Length ? _lowerBounds[interval + 1] : null;

    /// <summary>The interval a gap maps to and how many times it is written; (-1, 0) for a gap below the first bound.</summary>
    public (int Interval, int Repeats) Classify(long gapMicros)
    {
        var interval = _lowerBounds.Length - 1;
        while (interval >= 0 && _lowerBounds[interval] > gapMicros)
            interval--;
        if (interval < 0)
            return (-1, 0);
        if (interval < _lowerBounds.Length - 1)
            return (interval, 1);
        var repeats = Math.Round((double)gapMicros / _lowerBounds[interval], MidpointRounding.AwayFromZero);
        return (interval, (int)Math.Min(repeats, int.MaxValue));
    }
}
