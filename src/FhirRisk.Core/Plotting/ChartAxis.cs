namespace FhirRisk.Core.Plotting;

/// <summary>
/// One axis of a chart: its data range, linear or log10 scale, ticks with their labels, and the map from data to
/// pixels once the plot area is known (<see cref="Place"/>).
/// </summary>
internal sealed class ChartAxis
{
    /// <summary>Auto ranges leave this fraction of the data span free at each end (matplotlib's default margin).</summary>
    public const double Margin = 0.05;

    /// <summary>Mapped pixel coordinates are clamped to ±this, so a point far outside a fixed range cannot overflow
    /// the geometry; it only bends the (invisible) part of its segment outside the image.</summary>
    private const double PixelLimit = 1e7;

    private double _from, _to;

    private ChartAxis(double min, double max, bool log, double[] ticks, double[] minorTicks, string[] labels)
    {
        (Min, Max, Log, Ticks, MinorTicks, Labels) = (min, max, log, ticks, minorTicks, labels);
    }

    public double Min { get; }

    public double Max { get; }

    public bool Log { get; }

    public IReadOnlyList<double> Ticks { get; }

    public IReadOnlyList<double> MinorTicks { get; }

    public IReadOnlyList<string> Labels { get; }

    /// <summary>Ticks and labels for [<paramref name="range"/>]: <paramref name="chosenTicks"/> when given (those
    /// inside the range), else 1-2-5 or decade ticks, at most <paramref name="maxTicks"/>.</summary>
    public static ChartAxis Create((double Min, double Max) range, bool log, IReadOnlyList<double>? chosenTicks, int maxTicks)
    {
        var (min, max) = range;
        maxTicks = Math.Max(2, maxTicks);
        if (chosenTicks is not null)
        {
            var inside = chosenTicks.Where(t => t >= min && t <= max && (!log || t > 0)).Order().ToArray();
            return new ChartAxis(min, max, log, inside, [], [.. inside.Select(TickLabels.Compact)]);
        }
        if (log)
        {
            var (major, minor) = NiceTicks.Log(min, max, maxTicks);
            return new ChartAxis(min, max, log, major, minor, [.. major.Select(TickLabels.Compact)]);
        }
        var ticks = NiceTicks.Linear(min, max, maxTicks);
        return new ChartAxis(min, max, log, ticks, [], TickLabels.ForEvenlySpaced(ticks));
    }

    /// <summary>
    /// The range that shows every usable value with a <see cref="Margin"/> at each end (in log10 space on a log
    /// axis). No usable value gives [0, 1] ([1, 10] on a log axis); a single distinct value v gives v ± 10 % (± 0.5
    /// at 0, ± half a decade on a log axis).
    /// </summary>
    public static (double Min, double Max) AutoRange(IEnumerable<double> values, bool log)
    {
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        foreach (var value in values)
        {
            if (!Accepts(value, log))
                continue;
            var v = log ? Math.Log10(value) : value;
            (low, high) = (Math.Min(low, v), Math.Max(high, v));
        }
        if (low > high)
            return log ? (1, 10) : (0, 1);
        if (low == high)
        {
            var half = log ? 0.5 : low == 0 ? 0.5 : Math.Abs(low) * 0.1;
            (low, high) = (low - half, high + half);
        }
        else
        {
            var margin = (high - low) * Margin;
            (low, high) = (low - margin, high + margin);
        }
        return log ? (Math.Pow(10, low), Math.Pow(10, high)) : (low, high);
    }

    /// <summary>True when <paramref name="value"/> can be drawn on an axis of this kind (finite; positive on log).</summary>
    public static bool Accepts(double value, bool log) => double.IsFinite(value) && (!log || value > 0);

    public bool Accepts(double value) => Accepts(value, Log);

    /// <summary>Sets the pixel coordinates of <see cref="Min"/> and <see cref="Max"/> (for y, bottom then top).</summary>
    public void Place(double from, double to) => (_from, _to) = (from, to);

    public double ToPixel(double value)
    {
        var t = (Transform(value) - Transform(Min)) / (Transform(Max) - Transform(Min));
        return Math.Clamp(_from + t * (_to - _from), -PixelLimit, PixelLimit);
    }

    private double Transform(double value) => Log ? Math.Log10(value) : value;
}
