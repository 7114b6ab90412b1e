namespace FhirRisk.Core.Plotting;

/// <summary>
/// A series mapped to pixels: the unbroken runs of its line (split at unusable points) and the polygons of its
/// band (split the same way), ready to draw and for the legend to avoid.
/// </summary>
internal sealed record SeriesGeometry(Series Series, Rgba Color, IReadOnlyList<PixelPoint[]> Runs, IReadOnlyList<PixelPoint[]> BandPolygons)
{
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
