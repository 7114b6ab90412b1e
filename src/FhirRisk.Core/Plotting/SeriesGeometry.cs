namespace FhirRisk.Core.Plotting;

/// <summary>
/// A series mapped to pixels: the unbroken runs of its points (split at unusable points), the polylines its line
/// strokes (the runs, with a corner between each two points when the series steps) and the polygons of its band
/// (split the same way), ready to draw and for the legend to avoid.
/// </summary>
internal sealed record SeriesGeometry(Series Series, Rgba Color, IReadOnlyList<PixelPoint[]> Runs, IReadOnlyList<PixelPoint[]> BandPolygons)
{
    public IReadOnlyList<PixelPoint[]> Lines { get; } = [.. Runs.Select(run => Stepped(run, Series.Steps))];

    public static SeriesGeometry Of(Series series, Rgba color, ChartAxis x, ChartAxis y)
    {
        var runs = SplitRuns(series.X.Count, i => x.Accepts(series.X[i]) && double.IsFinite(series.Y[i]),
            i => new PixelPoint(x.ToPixel(series.X[i]), y.ToPixel(series.Y[i])));
        var bands = new List<PixelPoint[]>();
        if (series is { Lower: { } lower, Upper: { } upper })
        {
            var upperRuns = SplitRuns(series.X.Count,
                i => x.Accepts(series.X[i]) && double.IsFinite(lower[i]) && double.IsFinite(upper[i]),
                i => new PixelPoint(x.ToPixel(series.X[i]), y.ToPixel(upper[i])));
            var lowerRuns = SplitRuns(series.X.Count,
                i => x.Accepts(series.X[i]) && double.IsFinite(lower[i]) && double.IsFinite(upper[i]),
                i => new PixelPoint(x.ToPixel(series.X[i]), y.ToPixel(lower[i])));
            // Each polygon runs along the upper edge and back along the lower one.
            bands.AddRange(upperRuns.Zip(lowerRuns, (top, bottom) => top.Concat(bottom.Reverse()).ToArray()));
        }
        return new SeriesGeometry(series, color, runs, bands);
    }

    /// <summary>The polyline through <paramref name="run"/> with a corner inserted between each two points: at the
    /// first point's x and the second's y (<see cref="SeriesSteps.Pre"/>), or the reverse (<see cref="SeriesSteps.Post"/>).
    /// Both axes map monotonically, so the corner in pixels is the corner in data.</summary>
    internal static PixelPoint[] Stepped(PixelPoint[] run, SeriesSteps steps)
    {
        if (steps == SeriesSteps.None || run.Length < 2)
            return run;
        var path = new PixelPoint[2 * run.Length - 1];
        path[0] = run[0];
        for (var i = 1; i < run.Length; i++)
        {
            var (previous, next) = (run[i - 1], run[i]);
            path[2 * i - 1] = steps == SeriesSteps.Pre ? new PixelPoint(previous.X, next.Y) : new PixelPoint(next.X, previous.Y);
            path[2 * i] = next;
        }
        return path;
    }

    /// <summary>Maximal stretches of consecutive usable points.</summary>
    private static List<PixelPoint[]> SplitRuns(int count, Func<int, bool> usable, Func<int, PixelPoint> map)
    {
        var runs = new List<PixelPoint[]>();
        var current = new List<PixelPoint>();
        for (var i = 0; i <= count; i++)
        {
            if (i < count && usable(i))
            {
                current.Add(map(i));
                continue;
            }
            if (current.Count > 0)
                runs.Add([.. current]);
            current.Clear();
        }
        return runs;
    }
}
