namespace FhirRisk.Tokenizer;

/// <summary>
/// Decile breaks of one numeric code, fitted on train values (reference/ethos.md §1.4): a value v goes to bin
/// <c>1 + #(breaks &lt; v)</c>, written as the token <c>Q&lt;bin&gt;</c> after the code, so a value equal to a break
/// takes the lower bin. Breaks are nearest-rank quantiles at 0.1 … 0.9 (each is a train value), deduplicated (ties),
/// with a break at the maximum dropped (it would leave the top bin empty): every bin holds train values, and a
/// constant-valued code has no break at all and gets no <c>Q</c> token. NaN and infinite values are not fitted,
/// and are encoded as a missing value (no <c>Q</c> token): a bin fitted on finite values says nothing about ±∞.
/// </summary>
/// <param name="Code">The code, e.g. <c>LOINC//2160-0//mg/dL</c>.</param>
/// <param name="Values">How many train values were fitted.</param>
/// <param name="Breaks">Ascending, distinct breaks (0 to 9).</param>
/// <param name="BinValues">For each of the <c>Breaks.Count + 1</c> bins, the median train value in it (the lower
/// median, so it is a value of the bin); decoding writes it as the event's numeric value.</param>
/// <param name="BinCounts">Train values per bin.</param>
public sealed record CodeQuantiles(string Code, long Values, IReadOnlyList<float> Breaks, IReadOnlyList<float> BinValues, IReadOnlyList<long> BinCounts)
{
    /// <summary>Number of quantile bins and of <c>Q</c> tokens.</summary>
    public const int BinCount = 10;

    /// <summary>Whether a value of this code is written with a <c>Q</c> token (false for a constant-valued code).</summary>
    public bool HasBins => Breaks.Count > 0;

    /// <summary>The 1-based bin of <paramref name="value"/>; 0 for NaN and ±∞ (no bin), which <see cref="Fit"/> skips too.</summary>
    public int Bin(float value)
    {
        if (!float.IsFinite(value))
            return 0;
        var below = 0;
        while (below < Breaks.Count && Breaks[below] < value)
            below++;
        return below + 1;
    }

    /// <summary>The value decoding gives a <c>Q&lt;bin&gt;</c> token (bins past the last clamp to it).</summary>
    public float ValueOf(int bin) => BinValues[Math.Clamp(bin, 1, BinValues.Count) - 1];

    /// <summary>Fits the breaks of <paramref name="code"/> from its train values (any order; NaN and infinities skipped).</summary>
    public static CodeQuantiles Fit(string code, ReadOnlySpan<float> values)
    {
        var sorted = new float[values.Length];
        var n = 0;
        foreach (var value in values)
        {
            if (float.IsFinite(value))
                sorted[n++] = value;
        }
        Array.Sort(sorted, 0, n);
        var data = sorted.AsSpan(0, n);

        var breaks = new List<float>(BinCount - 1);
        for (var k = 1; k < BinCount && n > 0; k++)
        {
            // Nearest rank: the smallest value with at least k/10 of the values at or below it.
            var rank = (int)(((long)k * n + BinCount - 1) / BinCount);
            var candidate = data[Math.Max(rank, 1) - 1];
            if ((breaks.Count == 0 || candidate > breaks[^1]) && candidate < data[^1])
                breaks.Add(candidate);
        }

        var binValues = new float[breaks.Count + 1];
        var binCounts = new long[breaks.Count + 1];
        var start = 0;
        for (var bin = 0; bin <= breaks.Count; bin++)
        {
            var end = bin < breaks.Count ? UpperBound(data, breaks[bin]) : n;
            binCounts[bin] = end - start;
            binValues[bin] = end > start ? data[start + ((end - start - 1) / 2)] : float.NaN;
            start = end;
        }
        return new CodeQuantiles(code, n, breaks, binValues, binCounts);
    }

    // First index whose value is above `value` in ascending `data`.
    private static int UpperBound(ReadOnlySpan<float> data, float value)
    {
        int low = 0, high = data.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (data[middle] <= value)
                low = middle + 1;
            else
                high = middle;
        }
        return low;
    }
}
