using FhirRisk.Synthetic.Model;

namespace FhirRisk.Synthetic.Tests;

/// <summary>
/// The truth is only meaningful if the outcomes are drawn from exactly the probabilities written: sample many stays of
/// one (severity, baseline) and compare each task's frequency with its closed-form probability.
/// </summary>
public sealed class StayRiskTests
{
    private const int Draws = 200_000;

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(1.5, 1.0)]
    [InlineData(-0.5, 2.0)]
    public void Sample_FrequenciesMatchTheClosedFormProbabilities(double severity, double baseline)
    {
        var model = new LatentModel(LatentModelParameters.Default);
        var risk = model.Stay(severity, baseline);
        var random = new SimulationRandom(seed: 99, patientIndex: 0, StreamPurpose.Outcomes);
        int died = 0, icu = 0, prolonged = 0, composite = 0, early = 0, icuDeaths = 0;
        for (var i = 0; i < Draws; i++)
        {
            var stay = StayOutcome.Sample(risk, random);
            var isProlonged = stay.Prolonged(10);
            died += stay.Died ? 1 : 0;
            icu += stay.Icu ? 1 : 0;
            prolonged += isProlonged ? 1 : 0;
            composite += stay.Died || stay.Icu || isProlonged ? 1 : 0;
            early += stay.DirectIcu ? 1 : 0;
            icuDeaths += stay.DiedInIcu ? 1 : 0;
            Assert.True(stay.StayMinutes >= 1440);
            if (stay.Icu)
            {
                Assert.InRange(stay.IcuStartMinutes, 30, stay.IcuEndMinutes - 1);
                Assert.InRange(stay.IcuEndMinutes, stay.IcuStartMinutes + 1, stay.StayMinutes);
                Assert.True(stay.DirectIcu ? stay.IcuStartMinutes <= 120 : stay.IcuStartMinutes >= 720);
                Assert.Equal(stay.DiedInIcu, stay.IcuEndMinutes == stay.StayMinutes);
            }
        }

        AssertFrequency(risk.HospitalMortality, died, Draws);
        AssertFrequency(risk.IcuAdmission, icu, Draws);
        AssertFrequency(risk.ProlongedStay, prolonged, Draws);
        AssertFrequency(risk.Composite, composite, Draws);
        AssertFrequency(risk.EarlyIcu, early, Draws);
        AssertFrequency(risk.IcuMortality, icuDeaths, icu);
    }

    /// <summary>Within five binomial standard errors (plus the erfc approximation's 10⁻⁶).</summary>
    private static void AssertFrequency(double probability, int positives, int trials)
    {
        var frequency = (double)positives / trials;
        var tolerance = 5 * Math.Sqrt(probability * (1 - probability) / trials) + 1e-6;
        Assert.True(Math.Abs(frequency - probability) <= tolerance,
            $"frequency {frequency:0.00000} vs probability {probability:0.00000} (tolerance {tolerance:0.00000})");
    }
}
