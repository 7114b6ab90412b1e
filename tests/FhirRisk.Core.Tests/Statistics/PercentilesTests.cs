using FhirRisk.Core.Statistics;

namespace FhirRisk.Core.Tests.Statistics;

public sealed class PercentilesTests
{
    [Theory]
    // numpy.percentile([1, 2, 3, 4], q): 0 → 1, 25 → 1.75, 50 → 2.5, 97.5 → 3.925, 100 → 4.
    [InlineData(0.0, 1.0)]
    [InlineData(0.25, 1.75)]
    [InlineData(0.5, 2.5)]
    [InlineData(0.975, 3.925)]
    [InlineData(1.0, 4.0)]
    public void Linear_MatchesNumpysDefault(double fraction, double expected) =>
        Assert.Equal(expected, Percentiles.Linear([1.0, 2.0, 3.0, 4.0], fraction), 12);

    [Fact]
    public void Linear_EmptyIsNaN_OneValueIsItself()
    {
        Assert.True(double.IsNaN(Percentiles.Linear([], 0.5)));
        Assert.Equal(7.0, Percentiles.Linear([7.0], 0.025));
    }
}
