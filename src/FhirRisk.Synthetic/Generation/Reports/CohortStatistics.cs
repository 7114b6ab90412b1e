using FhirRisk.Core.Statistics;

namespace FhirRisk.Synthetic.Generation.Reports;

/// <summary>The few statistics the reports need.</summary>
internal static class CohortStatistics
{
    /// <summary>Pearson's r; NaN when either side is constant or there are fewer than two pairs.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count < 2)
            return double.NaN;
        var (mx, my) = (x.Average(), y.Average());
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>The two-sample Kolmogorov–Smirnov statistic: the largest gap between the empirical CDFs.</summary>
    public static double KolmogorovSmirnov(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count == 0 || b.Count == 0)
            return double.NaN;
        var (x, y) = (a.Order().ToArray(), b.Order().ToArray());
        int i = 0, j = 0;
        var gap = 0.0;
        while (i < x.Length && j < y.Length)
        {
            var value = Math.Min(x[i], y[j]);
            while (i < x.Length && x[i] <= value)
                i++;
            while (j < y.Length && y[j] <= value)
                j++;
            gap = Math.Max(gap, Math.Abs((double)i / x.Length - (double)j / y.Length));
        }
        return gap;
    }

    /// <summary>Mean and quartiles (NaN when empty).</summary>
    public static DistributionSummary Summarize(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
            return new DistributionSummary(0, double.NaN, double.NaN, double.NaN, double.NaN);
        var sorted = values.Order().ToArray();
        return new DistributionSummary(sorted.Length, sorted.Average(), Percentiles.Linear(sorted, 0.25), Percentiles.Linear(sorted, 0.5), Percentiles.Linear(sorted, 0.75));
    }

    /// <summary>The fraction of <paramref name="values"/> in each bin [lower + i·width, lower + (i + 1)·width); the last takes the rest.</summary>
    public static double[] Histogram(IReadOnlyList<double> values, double lower, double width, int bins)
    {
        var counts = new double[bins];
        foreach (var v in values)
            counts[Math.Clamp((int)Math.Floor((v - lower) / width), 0, bins - 1)]++;
        return [.. counts.Select(c => values.Count == 0 ? 0 : c / values.Count)];
    }
}

/// <summary>n, mean and quartiles of a sample (NaN when it is empty).</summary>
public sealed record DistributionSummary(int N, double Mean, double P25, double Median, double P75);
