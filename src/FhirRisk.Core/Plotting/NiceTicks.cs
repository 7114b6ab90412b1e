namespace FhirRisk.Core.Plotting;

/// <summary>
/// Tick positions a reader can count in: multiples of 1, 2 or 5 × 10^k on linear axes, powers of ten (or 1-2-5
/// within a decade or two) on logarithmic ones. Values are computed as integer × mantissa ÷ 10^k, so 0.3 is the
/// double nearest 0.3 and never 0.30000000000000004.
/// </summary>
internal static class NiceTicks
{
    private static readonly int[] Mantissas = [1, 2, 5];

    /// <summary>The densest 1-2-5 ticks in [<paramref name="min"/>, <paramref name="max"/>] with at most
    /// <paramref name="maxCount"/> of them (at least 2).</summary>
    public static double[] Linear(double min, double max, int maxCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 2);
        if (!(max > min) || !double.IsFinite(max - min))
            throw new ArgumentException($"Need a finite range with min < max, got [{min}, {max}].");
        var exponent = (int)Math.Floor(Math.Log10((max - min) / maxCount)) - 1;
        while (true)
        {
            foreach (var mantissa in Mantissas)
            {
                if (Multiples(min, max, mantissa, exponent, maxCount) is { } ticks)
                    return ticks;
            }
            exponent++;
        }
    }

    /// <summary>
    /// Major ticks for a log axis over [<paramref name="min"/>, <paramref name="max"/>] (both positive): every
    /// power of ten when at least three fall inside (thinned to every 2nd, 3rd, … decade to stay within
    /// <paramref name="maxCount"/>), else 1, 2 and 5 × 10^k, else linear ticks. Minor ticks are the remaining
    /// integer multiples of each decade when there is room for them.
    /// </summary>
    public static (double[] Major, double[] Minor) Log(double min, double max, int maxCount)
    {
        if (!(min > 0) || !(max > min) || !double.IsFinite(max))
            throw new ArgumentException($"Need a finite positive range with min < max, got [{min}, {max}].");
        int first = (int)Math.Ceiling(Math.Log10(min) - 1e-9), last = (int)Math.Floor(Math.Log10(max) + 1e-9);
        var decades = last - first + 1;
        if (decades >= 3)
        {
            var stride = (decades + maxCount - 1) / maxCount;
            var major = Enumerable.Range(first, decades).Where(k => k % stride == 0).Select(PowerOfTen).ToArray();
            return (major, stride == 1 ? DecadeMultiples(min, max, [2, 3, 4, 5, 6, 7, 8, 9]) : []);
        }
        var oneTwoFive = DecadeMultiples(min, max, [1, 2, 5]);
        if (oneTwoFive.Length >= 2 && oneTwoFive.Length <= maxCount)
            return (oneTwoFive, DecadeMultiples(min, max, [3, 4, 6, 7, 8, 9]));
        return (Linear(min, max, maxCount), []);
    }

    /// <summary>The multiples of mantissa × 10^exponent in [min, max], or null when there are more than maxCount.</summary>
    private static double[]? Multiples(double min, double max, int mantissa, int exponent, int maxCount)
    {
        var step = Scaled(mantissa, exponent);
        var first = Math.Ceiling(min / step - 1e-9);
        var last = Math.Floor(max / step + 1e-9);
        if (last - first + 1 > maxCount)
            return null;
        var ticks = new double[(int)Math.Max(0, last - first + 1)];
        for (var i = 0; i < ticks.Length; i++)
            ticks[i] = Scaled(((long)first + i) * mantissa, exponent);
        return ticks;
    }

    /// <summary>m × 10^k for every decade k and each multiplier m, inside [min, max], ascending.</summary>
    private static double[] DecadeMultiples(double min, double max, int[] multipliers)
    {
        var ticks = new List<double>();
        for (var k = (int)Math.Floor(Math.Log10(min)); k <= (int)Math.Floor(Math.Log10(max)); k++)
        {
            foreach (var m in multipliers)
            {
                var value = Scaled(m, k);
                if (value >= min * (1 - 1e-9) && value <= max * (1 + 1e-9))
                    ticks.Add(value);
            }
        }
        return [.. ticks];
    }

    private static double PowerOfTen(int exponent) => Scaled(1, exponent);

    /// <summary>n × 10^k, correctly rounded: dividing by an exact power of ten rather than multiplying by an inexact one.</summary>
    private static double Scaled(long n, int exponent) =>
        exponent >= 0 ? n * Math.Pow(10, exponent) : n / Math.Pow(10, -exponent);
}
