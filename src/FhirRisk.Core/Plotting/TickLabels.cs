using System.Globalization;

namespace FhirRisk.Core.Plotting;

/// <summary>
/// Short tick labels: "0.25", "12k", "3e-4", "2e20". Evenly spaced ticks share one format, so every label on an axis
/// has the same number of decimals (0.0, 0.2, … 1.0); irregular ticks (log axes, ticks the caller chose) are each
/// written in their shortest form.
/// </summary>
internal static class TickLabels
{
    private static readonly (double Unit, string Suffix)[] Suffixes = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];

    /// <summary>From this magnitude up, evenly spaced labels use k/M/G/T (so 1200 stays "1200", 12000 is "12k").</summary>
    private const double SuffixFrom = 1e4;

    /// <summary>Below this magnitude (every tick), labels use scientific notation.</summary>
    private const double ScientificBelow = 1e-3;

    /// <summary>From this magnitude up (any tick), labels use scientific notation: no suffix is larger than T.</summary>
    private const double ScientificFrom = 1e15;

    /// <summary>Labels for evenly spaced <paramref name="ticks"/>.</summary>
    public static string[] ForEvenlySpaced(IReadOnlyList<double> ticks)
    {
        ArgumentNullException.ThrowIfNull(ticks);
        if (ticks.Count < 2)
            return [.. ticks.Select(Compact)];
        var step = Math.Abs(ticks[1] - ticks[0]);
        var largest = ticks.Max(Math.Abs);
        if (largest < ScientificBelow || largest >= ScientificFrom)
            return [.. ticks.Select(t => IsZero(t, step) ? "0" : t.ToString("0.###e-0", CultureInfo.InvariantCulture))];
        var (unit, suffix) = largest >= SuffixFrom ? Suffixes.First(s => largest >= s.Unit) : (1.0, "");
        var format = "F" + Decimals(step / unit).ToString(CultureInfo.InvariantCulture);
        // Zero is written like its neighbours ("0.0" beside "0.2"), without a sign or suffix.
        return [.. ticks.Select(t => IsZero(t, step) ? 0.0.ToString(format, CultureInfo.InvariantCulture)
            : (t / unit).ToString(format, CultureInfo.InvariantCulture) + suffix)];
    }

    /// <summary>The shortest readable form of one value: "0", "0.25", "100", "1.2k", "3e-4".</summary>
    public static string Compact(double value)
    {
        if (value == 0)
            return "0";
        if (!double.IsFinite(value))
            return value.ToString(CultureInfo.InvariantCulture);
        var magnitude = Math.Abs(value);
        if (magnitude < ScientificBelow || magnitude >= ScientificFrom)
            return value.ToString("0.##e-0", CultureInfo.InvariantCulture);
        foreach (var (unit, suffix) in Suffixes)
        {
            if (magnitude >= unit)
                return (value / unit).ToString("0.##", CultureInfo.InvariantCulture) + suffix;
        }
        return value.ToString("0.####", CultureInfo.InvariantCulture);
    }

    /// <summary>The fewest decimals that write <paramref name="step"/> exactly (0.25 → 2, 5 → 0).</summary>
    private static int Decimals(double step)
    {
        for (var decimals = 0; decimals < 10; decimals++)
        {
            var scaled = step * Math.Pow(10, decimals);
            if (Math.Abs(scaled - Math.Round(scaled)) < 1e-6 * scaled)
                return decimals;
        }
        return 10;
    }

    private static bool IsZero(double tick, double step) => Math.Abs(tick) < step * 1e-9;
}
