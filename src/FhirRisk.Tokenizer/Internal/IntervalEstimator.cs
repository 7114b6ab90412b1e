namespace FhirRisk.Tokenizer.Internal;

/// <summary>Accumulates the train gaps each interval token stands for, then yields <see cref="IntervalEstimate"/>s.</summary>
internal sealed class IntervalEstimator(IntervalCoder coder, IReadOnlyList<TimeIntervalToken> intervals)
{
    private readonly long[] _counts = new long[coder.Count];
    private readonly Int128[] _sums = new Int128[coder.Count];
    private readonly long[] _mins = Enumerable.Repeat(long.MaxValue, coder.Count).ToArray();
    private readonly long[] _maxes = Enumerable.Repeat(long.MinValue, coder.Count).ToArray();

    public void Add(long gapMicros)
    {
        var (interval, repeats) = coder.Classify(gapMicros);
        if (interval < 0)
            return;
        var perRepeat = gapMicros / repeats;
        _counts[interval] += repeats;
        _sums[interval] += gapMicros;
        _mins[interval] = Math.Min(_mins[interval], perRepeat);
        _maxes[interval] = Math.Max(_maxes[interval], perRepeat);
    }

    public IReadOnlyList<IntervalEstimate> Estimates()
    {
        var estimates = new IntervalEstimate[coder.Count];
        for (var i = 0; i < coder.Count; i++)
        {
            var count = _counts[i];
            long? mean = count > 0 ? (long)(_sums[i] / count) : null;
            var lower = coder.LowerBound(i);
            var upper = coder.UpperBound(i);
            var decode = upper is not { } end ? lower : mean ?? lower + ((end - lower) / 2);
            estimates[i] = new IntervalEstimate(intervals[i].Name, lower, upper, count,
                count > 0 ? _mins[i] : null, mean, count > 0 ? _maxes[i] : null, decode);
        }
        return estimates;
    }
}
