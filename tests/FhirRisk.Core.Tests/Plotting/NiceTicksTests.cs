using FhirRisk.Core.Plotting;

namespace FhirRisk.Core.Tests.Plotting;

public sealed class NiceTicksTests
{
    [Fact]
    public void Linear_UnitRange_EightTicksAllowed_StepsByPointTwo() =>
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1.0], NiceTicks.Linear(0, 1, 8));

    [Fact]
    public void Linear_UnitRange_ElevenAllowed_StepsByPointOneWithExactDecimals()
    {
        var ticks = NiceTicks.Linear(0, 1, 11);

        // Exactly the literals: 0.3 is never 0.30000000000000004, 0.7 never 0.7000000000000001.
        Assert.Equal([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], ticks);
    }

    [Theory]
    [InlineData(-3.7, 12.2, 6, new[] { 0.0, 5, 10 })]
    [InlineData(-3.7, 12.2, 10, new[] { -2.0, 0, 2, 4, 6, 8, 10, 12 })]
    [InlineData(1.5, 8.1, 5, new[] { 2.0, 4, 6, 8 })]
    [InlineData(0, 9500, 6, new[] { 0.0, 2000, 4000, 6000, 8000 })]
    [InlineData(0, 0.00042, 5, new[] { 0.0, 0.0001, 0.0002, 0.0003, 0.0004 })]
    [InlineData(0.52, 0.86, 8, new[] { 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85 })]
    [InlineData(-1, -0.1, 4, new[] { -1.0, -0.5 })]
    public void Linear_PicksTheDensestOneTwoFiveStepThatFits(double min, double max, int maxCount, double[] expected) =>
        Assert.Equal(expected, NiceTicks.Linear(min, max, maxCount));

    [Fact]
    public void Linear_BadRange_Throws()
    {
        Assert.Throws<ArgumentException>(() => NiceTicks.Linear(1, 1, 5));
        Assert.Throws<ArgumentException>(() => NiceTicks.Linear(0, double.NaN, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => NiceTicks.Linear(0, 1, 1));
    }

    [Fact]
    public void Log_ThreeDecades_MajorAtPowersOfTenMinorBetween()
    {
        var (major, minor) = NiceTicks.Log(0.8, 160, 8);

        Assert.Equal([1, 10, 100], major);
        Assert.Equal([0.8, 0.9, 2, 3, 4, 5, 6, 7, 8, 9, 20, 30, 40, 50, 60, 70, 80, 90], minor);
    }

    [Fact]
    public void Log_ManyDecades_ThinsToEveryOtherDecadeWithoutMinorTicks()
    {
        var (major, minor) = NiceTicks.Log(1e-6, 1e6, 7);

        Assert.Equal([1e-6, 1e-4, 1e-2, 1, 1e2, 1e4, 1e6], major);
        Assert.Empty(minor);
    }

    [Fact]
    public void Log_UnderThreeDecades_UsesOneTwoFive()
    {
        var (major, _) = NiceTicks.Log(1.5, 60, 8);

        Assert.Equal([2, 5, 10, 20, 50], major);
    }

    [Fact]
    public void Log_WithinOneDecade_FallsBackToLinearTicks()
    {
        var (major, minor) = NiceTicks.Log(2.2, 4.5, 6);

        Assert.Equal([2.5, 3, 3.5, 4, 4.5], major);
        Assert.Empty(minor);
    }

    [Fact]
    public void Log_NonPositiveRange_Throws() => Assert.Throws<ArgumentException>(() => NiceTicks.Log(0, 10, 5));
}
