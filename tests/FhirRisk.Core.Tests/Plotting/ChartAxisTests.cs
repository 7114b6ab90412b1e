using FhirRisk.Core.Plotting;

namespace FhirRisk.Core.Tests.Plotting;

public sealed class ChartAxisTests
{
    [Fact]
    public void AutoRange_AddsFivePercentEachSideAndSkipsNonFinite()
    {
        var (min, max) = ChartAxis.AutoRange([2, double.NaN, 12, double.PositiveInfinity, 7], log: false);

        Assert.Equal(1.5, min, 12);
        Assert.Equal(12.5, max, 12);
    }

    [Theory]
    [InlineData(new double[0], 0, 1)]
    [InlineData(new[] { double.NaN }, 0, 1)]
    [InlineData(new[] { 5.0, 5.0 }, 4.5, 5.5)]
    [InlineData(new[] { 0.0 }, -0.5, 0.5)]
    [InlineData(new[] { -2.0 }, -2.2, -1.8)]
    public void AutoRange_DegenerateData_StillAUsableRange(double[] values, double expectedMin, double expectedMax)
    {
        var (min, max) = ChartAxis.AutoRange(values, log: false);

        Assert.Equal(expectedMin, min, 12);
        Assert.Equal(expectedMax, max, 12);
    }

    [Fact]
    public void AutoRange_Log_MarginInDecadesAndIgnoresNonPositive()
    {
        var (min, max) = ChartAxis.AutoRange([-1, 0, 1, 100], log: true);

        Assert.Equal(Math.Pow(10, -0.1), min, 12);
        Assert.Equal(Math.Pow(10, 2.1), max, 12);
        Assert.Equal((1.0, 10.0), ChartAxis.AutoRange([0, -3], log: true));
    }

    [Fact]
    public void ToPixel_MapsRangeEndsToPlacedPixels()
    {
        var linear = ChartAxis.Create((0, 1), log: false, null, 8);
        linear.Place(100, 500);
        var log = ChartAxis.Create((1, 1000), log: true, null, 8);
        log.Place(400, 100); // a y axis: bottom to top

        Assert.Equal(100, linear.ToPixel(0));
        Assert.Equal(300, linear.ToPixel(0.5));
        Assert.Equal(500, linear.ToPixel(1));
        Assert.Equal(400, log.ToPixel(1), 9);
        Assert.Equal(300, log.ToPixel(10), 9);
        Assert.Equal(100, log.ToPixel(1000), 9);
    }

    [Fact]
    public void ToPixel_FarOutsideTheRange_IsClampedNotInfinite()
    {
        var axis = ChartAxis.Create((0, 1e-300), log: false, null, 4);
        axis.Place(0, 100);

        Assert.True(double.IsFinite(axis.ToPixel(1e300)));
    }

    [Fact]
    public void Create_ChosenTicks_KeepsThoseInsideAndLabelsThemCompactly()
    {
        var axis = ChartAxis.Create((0.8, 150), log: true, [256, 1, 2, 4, 128, -1, 0], 3);

        Assert.Equal([1, 2, 4, 128], axis.Ticks);
        Assert.Equal(["1", "2", "4", "128"], axis.Labels);
        Assert.Empty(axis.MinorTicks);
    }

    [Fact]
    public void Create_Linear_LabelsShareDecimals()
    {
        var axis = ChartAxis.Create((0, 1), log: false, null, 6);

        Assert.Equal(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"], axis.Labels);
    }
}
