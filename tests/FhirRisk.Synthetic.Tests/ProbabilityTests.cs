using FhirRisk.Synthetic.Model;

namespace FhirRisk.Synthetic.Tests;

public sealed class ProbabilityTests
{
    [Theory]
    [InlineData(0.0, 0.5)]
    [InlineData(1.0, 0.841344746)]
    [InlineData(1.959963985, 0.975)]
    [InlineData(-2.326347874, 0.01)]
    [InlineData(4.0, 0.999968329)]
    public void NormalCdf_MatchesTables(double x, double expected) => Assert.Equal(expected, Probability.NormalCdf(x), 6);

    [Fact]
    public void LogNormalAtLeast_AtTheMedianIsOneHalf()
    {
        Assert.Equal(0.5, Probability.LogNormalAtLeast(10, Math.Log(10), 0.6), 6);
        Assert.Equal(1 - 0.841344746, Probability.LogNormalAtLeast(10, Math.Log(10) - 0.6, 0.6), 6);
    }

    [Fact]
    public void Logistic_IsTheInverseLogit()
    {
        Assert.Equal(0.5, Probability.Logistic(0), 12);
        Assert.Equal(0.2, Probability.Logistic(Math.Log(0.2 / 0.8)), 12);
    }
}
