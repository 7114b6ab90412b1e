using FhirRisk.Core.Plotting;
using FhirRisk.Testing;

namespace FhirRisk.Core.Tests.Plotting;

public sealed class LineChartTests
{
    private static readonly Rgba First = ChartStyle.Palette[0];

    [Fact]
    public void EncodePng_SameInput_SameBytes()
    {
        var once = Roc().EncodePng();
        var chart = Roc();

        Assert.Equal(once, chart.EncodePng());
        Assert.Equal(once, chart.EncodePng());
        Assert.True(PngEncoder.Signature.SequenceEqual(once.AsSpan(0, 8)));
    }

    [Fact]
    public void SavePng_WritesTheEncodedBytes()
    {
        using var folder = new TempDirectory("fhirrisk-chart");
        var path = folder.File("roc.png");

        Roc().SavePng(path, 640, 400);

        Assert.Equal(Roc().EncodePng(640, 400), File.ReadAllBytes(path));
    }

    public static TheoryData<string, double[], double[], bool> AwkwardData => new()
    {
        { "empty", [], [], false },
        { "all NaN", [double.NaN, 1], [0, double.NaN], false },
        { "single point", [0.5], [0.5], true },
        { "gap in the middle", [0, 0.2, double.NaN, 0.6, 0.8], [0.1, 0.3, 0.5, double.NaN, 0.9], true },
        { "infinities", [0, double.PositiveInfinity, 1], [double.NegativeInfinity, 1, 0.5], true },
        { "constant", [0, 1, 2], [3, 3, 3], true },
        { "huge", [0, 1e300], [-1e300, 1e300], true },
    };

    [Theory]
    [MemberData(nameof(AwkwardData))]
    public void Render_AwkwardData_DrawsWhatItCanWithoutThrowing(string name, double[] x, double[] y, bool visible)
    {
        foreach (var (style, steps) in Enum.GetValues<SeriesStyle>().SelectMany(style => Enum.GetValues<SeriesSteps>().Select(steps => (style, steps))))
        {
            var chart = new LineChart(name, "x", "y");
            chart.Add(new Series("", x, y) { Style = style, Steps = steps });

            var image = new LineChartRenderer(chart, 800, 500).Render();

            Assert.Equal(visible, CountPixels(image, First) > 0);
        }
    }

    [Fact]
    public void Render_ASeriesThatNamesAPaletteColour_IsDrawnInIt_WhereverItIsAdded()
    {
        // Review s22 evaluate L4: a method's all-data line took the next free colour, not its method's.
        var chart = new LineChart("", "", "") { XRange = (0, 1), YRange = (0, 1) };
        // Markers: their inner pixels are wholly covered, so they show the colour itself, unblended.
        chart.Add(new Series("probe", [0.1, 0.9], [0.3, 0.3]) { Style = SeriesStyle.LineAndMarkers });
        chart.Add(new Series("count", [0.1, 0.9], [0.5, 0.5]) { Style = SeriesStyle.LineAndMarkers });
        chart.Add(new Series("probe (all data)", [0.1, 0.9], [0.7, 0.7]) { Style = SeriesStyle.LineAndMarkers, PaletteIndex = 0 });

        var image = new LineChartRenderer(chart, 400, 300).Render();

        Assert.True(CountPixels(image, First) > 0);
        Assert.True(CountPixels(image, ChartStyle.Palette[1]) > 0);
        Assert.Equal(0, CountPixels(image, ChartStyle.Palette[2])); // the third series is not in the third colour
        Assert.Throws<ArgumentException>(() => chart.Add(new Series("bad", [0.5], [0.5]) { PaletteIndex = -1 }));
    }

    [Fact]
    public void Render_PointsFarOutsideAFixedRange_AreClippedNotDrawnOverTheAxes()
    {
        var chart = new LineChart("", "", "") { XRange = (0, 1), YRange = (0, 1) };
        chart.Add(new Series("", [0.2, 0.5, 0.8, 1e300], [0.5, 1e300, 0.5, -1e300]));

        var image = new LineChartRenderer(chart, 800, 500).Render();

        // A spike up to 1e300 and a plunge to the far right: both are cut at the frame (no title, so the plot starts
        // 12 px down and ends well before the right edge).
        var drawn = Pixels(image, First).ToList();
        Assert.NotEmpty(drawn);
        Assert.All(drawn, p => Assert.True(p.Y >= 12 && p.X < 780, $"series pixel at {p}"));
    }

    [Fact]
    public void Render_LogXWithNonPositiveValues_SkipsThem()
    {
        var chart = new LineChart("k-shot", "k", "AUROC") { LogX = true };
        chart.Add(new Series("probe", [-1, 0, 1, 2, 4, 8], [0.5, 0.5, 0.6, 0.65, 0.7, 0.72]) { Style = SeriesStyle.LineAndMarkers });

        var image = new LineChartRenderer(chart, 400, 300).Render();

        Assert.True(CountPixels(image, First) > 0);
    }

    [Fact]
    public void Render_NoSeries_DrawsEmptyAxes()
    {
        var image = new LineChartRenderer(new LineChart("nothing yet", "x", "y"), 300, 200).Render();

        Assert.True(CountPixels(image, ChartStyle.Ink) > 0);
        Assert.Equal(0, CountPixels(image, First));
    }

    [Fact]
    public void Render_Band_IsTheSeriesColourAtTwentyPercentOverWhite()
    {
        var chart = new LineChart("", "", "") { XRange = (0, 1), YRange = (0, 1) };
        chart.Add(new Series("", [0.0, 1.0], [0.5, 0.5]) { Lower = [0.1, 0.1], Upper = [0.9, 0.9] });

        var image = new LineChartRenderer(chart, 400, 300).Render();

        var alpha = 51 / 255f; // 0.2 as a byte
        var band = new Rgba(Blend(First.R), Blend(First.G), Blend(First.B));
        Assert.True(CountPixels(image, band) > 10_000, $"{CountPixels(image, band)} band pixels");

        byte Blend(byte channel) => (byte)MathF.Round(255 + (channel - 255) * alpha);
    }

    [Fact]
    public void Render_DataAlongTheTop_PutsTheLegendInALowerCorner()
    {
        var chart = new LineChart("", "", "") { XRange = (0, 1), YRange = (0, 1) };
        chart.Add(new Series("high", [0.0, 1.0], [0.95, 0.95]));
        chart.Add(new Series("also high", [0.0, 1.0], [0.9, 0.9]));

        var image = new LineChartRenderer(chart, 800, 500).Render();

        // The legend's top and bottom borders: long runs of the border grey (anti-aliased text has only short ones).
        var borderRows = Enumerable.Range(0, image.Height)
            .Where(y => LongestRun(image, y, ChartStyle.LegendBorder) >= 50).ToList();
        Assert.Equal(2, borderRows.Count);
        Assert.All(borderRows, y => Assert.True(y > 250, $"legend border at row {y}"));
    }

    [Fact]
    public void Render_SeriesColours_FollowThePalette()
    {
        var chart = new LineChart("", "", "") { YRange = (0, 4) };
        for (var i = 0; i < 3; i++)
            chart.Add(new Series($"s{i}", [0.0, 1.0], [i + 1.0, i + 1.0]));

        var image = new LineChartRenderer(chart, 800, 500).Render();

        for (var i = 0; i < 3; i++)
            Assert.True(CountPixels(image, ChartStyle.Palette[i]) > 100, $"series {i}");
    }

    [Fact]
    public void Add_BandOfWrongLengthOrHalfSet_Throws()
    {
        var chart = new LineChart("", "", "");

        Assert.Throws<ArgumentException>(() => new Series("s", [1.0, 2.0], [1.0]));
        Assert.Throws<ArgumentException>(() => chart.Add(new Series("s", [1.0], [1.0]) { Lower = [0.0] }));
        Assert.Throws<ArgumentException>(() => chart.Add(new Series("s", [1.0], [1.0]) { Lower = [0.0, 0.0], Upper = [2.0, 2.0] }));
        Assert.Empty(chart.Series);
    }

    [Fact]
    public void Ranges_AndSizes_AreValidated()
    {
        var chart = new LineChart("", "", "");

        Assert.Throws<ArgumentOutOfRangeException>(() => chart.XRange = (1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => chart.YRange = (0, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => chart.AddHorizontalLine(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => chart.EncodePng(100, 500));
        chart.LogX = true;
        chart.XRange = (0, 10);
        Assert.Throws<InvalidOperationException>(() => chart.EncodePng());
    }

    private static LineChart Roc()
    {
        var fpr = Enumerable.Range(0, 51).Select(i => i / 50.0).ToArray();
        var tpr = fpr.Select(f => Math.Pow(f, 0.3)).ToArray();
        var chart = new LineChart("ROC", "False positive rate", "True positive rate") { XRange = (0, 1), YRange = (0, 1) };
        chart.Add(new Series("heads", fpr, tpr) { Lower = [.. tpr.Select(t => t * 0.9)], Upper = [.. tpr.Select(t => Math.Min(1, t * 1.1))] });
        chart.Add(new Series("baseline", fpr, [.. fpr.Select(f => Math.Pow(f, 0.6))]) { Style = SeriesStyle.DashedLine });
        chart.AddDiagonal();
        return chart;
    }

    private static int LongestRun(RasterImage image, int y, Rgba color)
    {
        int longest = 0, current = 0;
        for (var x = 0; x < image.Width; x++)
        {
            current = image[x, y] == color ? current + 1 : 0;
            longest = Math.Max(longest, current);
        }
        return longest;
    }

    private static int CountPixels(RasterImage image, Rgba color) => Pixels(image, color).Count();

    private static IEnumerable<(int X, int Y)> Pixels(RasterImage image, Rgba color)
    {
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                if (image[x, y] == color with { A = 255 })
                    yield return (x, y);
            }
        }
    }
}
