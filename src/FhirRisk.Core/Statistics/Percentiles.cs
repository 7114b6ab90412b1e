namespace FhirRisk.Core.Statistics;

/// <summary>Sample percentiles.</summary>
public static class Percentiles
{
    /// <summary>
    /// The <paramref name="fraction"/> quantile of <paramref name="sorted"/> (ascending) by linear interpolation between
    /// order statistics — Hyndman &amp; Fan type 7, numpy's default: h = (n − 1)·q, x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]).
    /// NaN for an empty sample.
    /// </summary>
    public static double Linear(ReadOnlySpan<double> sorted, double fraction)
    {
        if (!(fraction >= 0 && fraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "A quantile fraction lies in [0, 1].");
        if (sorted.IsEmpty)
            return double.NaN;
        var h = (sorted.Length - 1) * fraction;
        var below = (int)Math.Floor(h);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (h - below) * (sorted[above] - sorted[below]);
    }
}
