using FhirRisk.Inference.Rollouts;

namespace FhirRisk.Inference.Tests;

public sealed class WilsonIntervalTests
{
    /// <summary>Newcombe (Stat Med 1998, 17:857), Table I, method 3 (score, no continuity correction).</summary>
    [Theory]
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    public void Matches_Newcombes_published_intervals(int positives, int n, double lower, double upper)
    {
        var interval = WilsonInterval.Of(positives, n);
        Assert.Equal(lower, interval.Lower, 4);
        Assert.Equal(upper, interval.Upper, 4);
    }

    /// <summary>Standard normal quantiles Φ⁻¹((1 + level) / 2), to 7 decimals.</summary>
    [Theory]
    [InlineData(0.5, 0.6744898)]
    [InlineData(0.8, 1.2815516)]
    [InlineData(0.9, 1.6448536)]
    [InlineData(0.95, 1.9599640)]
    [InlineData(0.99, 2.5758293)]
    [InlineData(0.999, 3.2905267)]
    public void ZOf_gives_the_two_sided_normal_quantile(double level, double z)
    {
        Assert.Equal(z, WilsonInterval.ZOf(level), 6);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    public void ZOf_refuses_a_level_outside_zero_to_one(double level)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.ZOf(level));
    }

    [Fact]
    public void Is_exact_at_the_edges_symmetric_and_total_without_data()
    {
        Assert.Equal(new WilsonInterval(0, 1), WilsonInterval.Of(0, 0));
        // 0 of n: upper = z² / (n + z²).
        var z2 = WilsonInterval.Z95 * WilsonInterval.Z95;
        Assert.Equal(z2 / (20 + z2), WilsonInterval.Of(0, 20).Upper, 12);
        Assert.Equal(1.0, WilsonInterval.Of(20, 20).Upper);
        var low = WilsonInterval.Of(3, 40);
        var high = WilsonInterval.Of(37, 40);
        Assert.Equal(low.Lower, 1 - high.Upper, 12);
        Assert.Equal(low.Upper, 1 - high.Lower, 12);
        Assert.True(WilsonInterval.Of(50, 100).HalfWidth < WilsonInterval.Of(5, 10).HalfWidth);
    }

    [Fact]
    public void A_real_proportion_and_size_give_the_counts_interval_at_whole_counts_and_widen_as_the_size_falls()
    {
        foreach (var (k, n) in new[] { (0, 20), (1, 29), (15, 148), (81, 263), (20, 20) })
            Assert.Equal(WilsonInterval.Of(k, n), WilsonInterval.OfProportion((double)k / n, n));
        Assert.Equal(new WilsonInterval(0, 1), WilsonInterval.OfProportion(0.3, 0));
        Assert.Equal(0.0, WilsonInterval.OfProportion(0, 7.5).Lower);
        Assert.Equal(1.0, WilsonInterval.OfProportion(1, 7.5).Upper);
        Assert.True(WilsonInterval.OfProportion(0.06, 40).HalfWidth < WilsonInterval.OfProportion(0.06, 20).HalfWidth);
        Assert.True(WilsonInterval.OfProportion(0.06, 20).HalfWidth < WilsonInterval.OfProportion(0.06, 9.5).HalfWidth);
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.OfProportion(1.01, 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.OfProportion(double.NaN, 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.OfProportion(0.5, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => WilsonInterval.OfProportion(0.5, double.PositiveInfinity));
    }
}
