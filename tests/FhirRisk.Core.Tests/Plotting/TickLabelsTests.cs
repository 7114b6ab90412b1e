using FhirRisk.Core.Plotting;

namespace FhirRisk.Core.Tests.Plotting;

public sealed class TickLabelsTests
{
    [Theory]
    [InlineData(new[] { 0, 0.25, 0.5, 0.75, 1 }, new[] { "0.00", "0.25", "0.50", "0.75", "1.00" })]
    [InlineData(new[] { 0, 0.2, 0.4, 0.6, 0.8, 1 }, new[] { "0.0", "0.2", "0.4", "0.6", "0.8", "1.0" })]
    [InlineData(new[] { -1, -0.5, 0, 0.5 }, new[] { "-1.0", "-0.5", "0.0", "0.5" })]
    [InlineData(new double[] { 0, 2, 4, 6, 8 }, new[] { "0", "2", "4", "6", "8" })]
    [InlineData(new double[] { 0, 400, 800, 1200 }, new[] { "0", "400", "800", "1200" })]
    [InlineData(new double[] { 0, 5000, 10000, 15000 }, new[] { "0", "5k", "10k", "15k" })]
    [InlineData(new double[] { 10000, 10500, 11000 }, new[] { "10.0k", "10.5k", "11.0k" })]
    [InlineData(new double[] { 0, 2e6, 4e6 }, new[] { "0", "2M", "4M" })]
    [InlineData(new[] { 0, 1e-4, 2e-4, 3e-4 }, new[] { "0", "1e-4", "2e-4", "3e-4" })]
    [InlineData(new[] { 0, 2.5e-4, 5e-4 }, new[] { "0", "2.5e-4", "5e-4" })]
    [InlineData(new[] { -1e20, 0, 1e20, 2e20 }, new[] { "-1e20", "0", "1e20", "2e20" })]
    public void ForEvenlySpaced_OneFormatPerAxis(double[] ticks, string[] expected) =>
        Assert.Equal(expected, TickLabels.ForEvenlySpaced(ticks));

    [Theory]
    [InlineData(0, "0")]
    [InlineData(0.25, "0.25")]
    [InlineData(1, "1")]
    [InlineData(100, "100")]
    [InlineData(1200, "1.2k")]
    [InlineData(-2500, "-2.5k")]
    [InlineData(1e6, "1M")]
    [InlineData(3e-4, "3e-4")]
    [InlineData(0.001, "0.001")]
    [InlineData(128, "128")]
    [InlineData(5e17, "5e17")]
    public void Compact_ShortestReadableForm(double value, string expected) =>
        Assert.Equal(expected, TickLabels.Compact(value));
}
