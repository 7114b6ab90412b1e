using FhirRisk.Core.Plotting;

namespace FhirRisk.Core.Tests.Plotting;

public sealed class SeriesGeometryTests
{
    // A precision–recall curve in ascending recall: (0, 1), then a tie that drops precision at the same recall.
    private static readonly double[] Recall = [0, 0.5, 0.5, 1];
    private static readonly double[] Precision = [1, 0.25, 0.2, 0.1];

    [Fact]
    public void Lines_StepsPre_TurnAtThePreviousXToTheNextY()
    {
        var lines = Geometry(new Series("pr", Recall, Precision) { Steps = SeriesSteps.Pre }).Lines;

        var path = Assert.Single(lines);
        Assert.Equal([(0, 1), (0, 0.25), (0.5, 0.25), (0.5, 0.2), (0.5, 0.2), (0.5, 0.1), (1, 0.1)], [.. path.Select(ToData)]);
        // The area under the drawn line is Σ (x_{i+1} − x_i)·y_{i+1}: average precision, not the trapezoids.
        Assert.Equal(0.5 * 0.25 + 0 * 0.2 + 0.5 * 0.1, AreaUnder(path), 12);
    }

    [Fact]
    public void Lines_StepsPost_GoAcrossAtThePreviousYFirst()
    {
        var path = Assert.Single(Geometry(new Series("s", [0.0, 0.5, 1], [0.2, 0.6, 0.4]) { Steps = SeriesSteps.Post }).Lines);

        Assert.Equal([(0, 0.2), (0.5, 0.2), (0.5, 0.6), (1, 0.6), (1, 0.4)], [.. path.Select(ToData)]);
    }

    [Fact]
    public void Lines_WithoutSteps_AreTheRuns_AndStepsKeepMarkersAtThePoints()
    {
        var straight = Geometry(new Series("pr", Recall, Precision));
        var stepped = Geometry(new Series("pr", [0, 0.5, double.NaN, 0.8, 1], [1, 0.4, 0.3, 0.2, 0.1]) { Steps = SeriesSteps.Pre });

        Assert.Same(straight.Runs[0], straight.Lines[0]);
        Assert.Equal([2, 2], stepped.Runs.Select(r => r.Length)); // the gap splits the points as before
        Assert.Equal([3, 3], stepped.Lines.Select(l => l.Length)); // one corner per pair within a run, none across the gap
    }

    /// <summary>Axes placed so that pixels are data × 1000 (y pointing up, so flipped).</summary>
    private static SeriesGeometry Geometry(Series series)
    {
        var x = ChartAxis.Create((0, 1), log: false, null, 4);
        x.Place(0, 1000);
        var y = ChartAxis.Create((0, 1), log: false, null, 4);
        y.Place(1000, 0);
        return SeriesGeometry.Of(series, ChartStyle.Palette[0], x, y);
    }

    private static (double X, double Y) ToData(PixelPoint p) => (Math.Round(p.X / 1000, 9), Math.Round((1000 - p.Y) / 1000, 9));

    /// <summary>Area between the polyline and y = 0, in data units (trapezoids over its own segments).</summary>
    private static double AreaUnder(PixelPoint[] path) =>
        path.Zip(path.Skip(1), (a, b) => (ToData(b).X - ToData(a).X) * (ToData(a).Y + ToData(b).Y) / 2).Sum();
}
