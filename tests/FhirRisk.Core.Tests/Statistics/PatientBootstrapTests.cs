using FhirRisk.Core.Statistics;
using Xunit.Abstractions;

namespace FhirRisk.Core.Tests.Statistics;

public sealed class PatientBootstrapTests(ITestOutputHelper output)
{
    private static readonly BootstrapSettings Quick = new() { Replicates = 200, Seed = 11 };

    [Fact]
    public void Evaluate_PointEstimatesEqualTheMetricsAndLieInsideTheirIntervals()
    {
        var (probabilities, labels, patients) = Cohort(patients: 300, seed: 1);

        var result = PatientBootstrap.Evaluate(probabilities, labels, patients, Quick);

        Assert.Equal(BinaryMetrics.Auroc(probabilities, labels), result.Auroc.Value, 15);
        Assert.Equal(BinaryMetrics.AveragePrecision(probabilities, labels), result.AveragePrecision.Value, 15);
        Assert.Equal(BinaryMetrics.BrierScore(probabilities, labels), result.BrierScore.Value, 15);
        Assert.Equal(BinaryMetrics.ExpectedCalibrationError(probabilities, labels), result.ExpectedCalibrationError.Value, 15);
        foreach (var estimate in new[] { result.Auroc, result.AveragePrecision, result.BrierScore, result.ExpectedCalibrationError })
        {
            Assert.Equal(200, estimate.Replicates);
            Assert.True(estimate.Lower < estimate.Upper, $"{estimate}");
        }
        Assert.InRange(result.Auroc.Value, result.Auroc.Lower, result.Auroc.Upper);
        Assert.InRange(result.BrierScore.Value, result.BrierScore.Lower, result.BrierScore.Upper);
        Assert.Equal(300, result.Patients);
        Assert.Null(result.RankingUndefinedReason);
    }

    [Fact]
    public void Evaluate_SameSeedSameIntervals_OtherSeedOtherIntervals()
    {
        var (probabilities, labels, patients) = Cohort(patients: 200, seed: 2);

        var first = PatientBootstrap.Evaluate(probabilities, labels, patients, Quick);
        var again = PatientBootstrap.Evaluate(probabilities, labels, patients, Quick);
        var other = PatientBootstrap.Evaluate(probabilities, labels, patients, Quick with { Seed = 12 });

        Assert.Equal(first, again);
        Assert.NotEqual(first.Auroc.Lower, other.Auroc.Lower);
    }

    [Fact]
    public void Evaluate_ResamplesPatientsNotRows()
    {
        // Each patient's rows duplicated: a row bootstrap would see twice the data and narrow the interval; resampling
        // patients draws the same patients with the same multiplicities, so every interval is unchanged.
        var (probabilities, labels, patients) = Cohort(patients: 150, seed: 3);
        var twice = PatientBootstrap.Evaluate(
            [.. probabilities.SelectMany(p => new[] { p, p })], [.. labels.SelectMany(l => new[] { l, l })], [.. patients.SelectMany(p => new[] { p, p })], Quick);

        var once = PatientBootstrap.Evaluate(probabilities, labels, patients, Quick);

        Assert.Equal(once.Auroc.Lower, twice.Auroc.Lower, 12);
        Assert.Equal(once.Auroc.Upper, twice.Auroc.Upper, 12);
        Assert.Equal(once.BrierScore.Lower, twice.BrierScore.Lower, 12);
        Assert.Equal(once.ExpectedCalibrationError.Upper, twice.ExpectedCalibrationError.Upper, 12);
        Assert.Equal(2 * once.Predictions, twice.Predictions);
        Assert.Equal(once.Patients, twice.Patients);
    }

    [Fact]
    public void WeightedRanking_EqualsTheMaterialisedResample()
    {
        var (probabilities, labels, _) = Cohort(patients: 120, seed: 4);
        var random = new SplitMix64(5);
        var weights = probabilities.Select(_ => (double)random.NextInt(4)).ToArray();
        var rows = Enumerable.Range(0, probabilities.Length).SelectMany(i => Enumerable.Repeat(i, (int)weights[i])).ToArray();
        var resampledP = rows.Select(i => probabilities[i]).ToArray();
        var resampledY = rows.Select(i => labels[i]).ToArray();

        var ranking = new ScoreRanking(probabilities, labels);
        var bins = new ProbabilityBins(probabilities, labels, 10);

        Assert.Equal(BinaryMetrics.Auroc(resampledP, resampledY), ranking.Auroc(weights), 12);
        Assert.Equal(BinaryMetrics.AveragePrecision(resampledP, resampledY), ranking.AveragePrecision(weights), 12);
        Assert.Equal(BinaryMetrics.BrierScore(resampledP, resampledY), bins.BrierScore(weights), 12);
        Assert.Equal(BinaryMetrics.ExpectedCalibrationError(resampledP, resampledY), bins.ExpectedCalibrationError(weights), 12);
    }

    [Fact]
    public void Evaluate_NoPositives_RankingMetricsUndefinedCalibrationDefined()
    {
        var result = PatientBootstrap.Evaluate([0.1, 0.2, 0.05], [false, false, false], [1L, 2L, 3L], Quick);

        Assert.False(result.Auroc.IsDefined);
        Assert.False(result.AveragePrecision.IsDefined);
        Assert.True(result.BrierScore.IsDefined);
        Assert.True(result.ExpectedCalibrationError.IsDefined);
        Assert.Equal("no positive labels", result.RankingUndefinedReason);
    }

    [Fact]
    public void Evaluate_RareOutcome_LeavesOutReplicatesWithoutAPositive()
    {
        // One positive patient among 40: about (39/40)^40 ≈ 36% of resamples miss it and have no AUROC.
        var probabilities = Enumerable.Range(0, 40).Select(i => i / 40.0).ToArray();
        var labels = probabilities.Select((_, i) => i == 39).ToArray();
        var patients = Enumerable.Range(0, 40).Select(i => (long)i).ToArray();

        var result = PatientBootstrap.Evaluate(probabilities, labels, patients, Quick);

        Assert.InRange(result.Auroc.Replicates, 100, 160);
        Assert.Equal(200, result.BrierScore.Replicates);
    }

    [Fact]
    public void Evaluate_IntervalCoversTheTrueAurocAtRoughlyTheNominalRate()
    {
        // Scores N(0,1) for negatives and N(1,1) for positives: true AUROC Φ(1/√2) = 0.7602. 40 cohorts of 200.
        const double trueAuroc = 0.76024993890652326;
        var covered = 0;
        for (var cohort = 0; cohort < 40; cohort++)
        {
            var random = new SplitMix64(100, (ulong)cohort);
            var labels = Enumerable.Range(0, 200).Select(_ => random.NextDouble() < 0.5).ToArray();
            var scores = labels.Select(l => Sigmoid(Normal(random) + (l ? 1 : 0))).ToArray();
            var result = PatientBootstrap.Evaluate(scores, labels, [.. Enumerable.Range(0, 200).Select(i => (long)i)], Quick with { Seed = (ulong)cohort });
            if (result.Auroc.Lower <= trueAuroc && trueAuroc <= result.Auroc.Upper)
                covered++;
        }
        output.WriteLine($"95% intervals covered the true AUROC in {covered} of 40 cohorts");
        Assert.InRange(covered, 33, 40);
    }

    [Fact]
    public void Evaluate_MismatchedLengths_Throw() =>
        Assert.Throws<ArgumentException>(() => PatientBootstrap.Evaluate([0.1, 0.2], [true, false], [1L], Quick));

    private static (double[] Probabilities, bool[] Labels, long[] Patients) Cohort(int patients, ulong seed)
    {
        var random = new SplitMix64(seed);
        var p = new List<double>();
        var y = new List<bool>();
        var ids = new List<long>();
        for (var patient = 0; patient < patients; patient++)
        {
            var risk = random.NextDouble() * 0.6;
            for (var stay = 1 + random.NextInt(3); stay > 0; stay--)
            {
                p.Add(Math.Round(risk, 2));
                y.Add(random.NextDouble() < risk);
                ids.Add(1000 + patient * 7);
            }
        }
        return ([.. p], [.. y], [.. ids]);
    }

    private static double Normal(SplitMix64 random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
