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
    public void Evaluate_RowsInAnotherOrder_SameIntervals()
    {
        var (probabilities, labels, patients) = Cohort(patients: 200, seed: 4);
        var order = Enumerable.Range(0, probabilities.Length).Reverse().ToArray();
        var reordered = ((double[])[.. order.Select(i => probabilities[i])], (bool[])[.. order.Select(i => labels[i])], (long[])[.. order.Select(i => patients[i])]);

        var first = PatientBootstrap.Evaluate(probabilities, labels, patients, Quick);
        var again = PatientBootstrap.Evaluate(reordered.Item1, reordered.Item2, reordered.Item3, Quick);

        foreach (var (a, b) in new[] { (first.Auroc, again.Auroc), (first.AveragePrecision, again.AveragePrecision), (first.BrierScore, again.BrierScore), (first.ExpectedCalibrationError, again.ExpectedCalibrationError) })
        {
            Assert.Equal(a.Lower, b.Lower, 12);
            Assert.Equal(a.Upper, b.Upper, 12);
        }
        var difference = PatientBootstrap.CompareAuroc(reordered.Item1, [.. reordered.Item1.Select(_ => 0.5)], reordered.Item2, reordered.Item3, Quick);
        Assert.Equal(first.Auroc.Lower - 0.5, difference.Lower, 12);
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

    [Fact]
    public void CompareAuroc_AgainstAConstantReference_IsTheAurocIntervalShiftedByOneHalf()
    {
        // A constant score has AUROC 0.5 in every resample that holds both classes, so the paired difference of each
        // replicate is that replicate's AUROC − 0.5: the comparison must draw exactly Evaluate's resamples.
        var (probabilities, labels, patients) = Cohort(patients: 250, seed: 5);
        var constant = Enumerable.Repeat(0.2, probabilities.Length).ToArray();

        var difference = PatientBootstrap.CompareAuroc(probabilities, constant, labels, patients, Quick);
        var alone = PatientBootstrap.Evaluate(probabilities, labels, patients, Quick).Auroc;

        Assert.Equal(alone.Value - 0.5, difference.Value, 12);
        Assert.Equal(alone.Lower - 0.5, difference.Lower, 12);
        Assert.Equal(alone.Upper - 0.5, difference.Upper, 12);
        Assert.Equal(alone.Replicates, difference.Replicates);
    }

    [Fact]
    public void CompareAuroc_IsAntisymmetric_AndZeroForTheSameScores()
    {
        var (probabilities, labels, patients) = Cohort(patients: 200, seed: 6);
        var random = new SplitMix64(60);
        var other = probabilities.Select(p => Math.Clamp(p + 0.2 * (random.NextDouble() - 0.5), 0, 1)).ToArray();

        var forward = PatientBootstrap.CompareAuroc(probabilities, other, labels, patients, Quick);
        var backward = PatientBootstrap.CompareAuroc(other, probabilities, labels, patients, Quick);
        var same = PatientBootstrap.CompareAuroc(probabilities, probabilities, labels, patients, Quick);

        Assert.Equal(BinaryMetrics.Auroc(probabilities, labels) - BinaryMetrics.Auroc(other, labels), forward.Value, 12);
        Assert.Equal(-forward.Value, backward.Value, 12);
        Assert.Equal(-forward.Upper, backward.Lower, 12);
        Assert.Equal(-forward.Lower, backward.Upper, 12);
        Assert.Equal((0.0, 0.0, 0.0), (same.Value, same.Lower, same.Upper));
    }

    [Fact]
    public void CompareAuroc_PairedIntervalOfCorrelatedScores_IsNarrowerThanEitherAurocs()
    {
        // Two methods that share most of their signal: the AUROCs move together across resamples (the same hard and
        // easy patients), so their difference varies far less than either. An unpaired comparison would miss that.
        var (probabilities, labels, patients) = Cohort(patients: 300, seed: 7);
        var random = new SplitMix64(70);
        var noisier = probabilities.Select(p => Math.Clamp(p + 0.1 * (random.NextDouble() - 0.5), 0, 1)).ToArray();

        var difference = PatientBootstrap.CompareAuroc(noisier, probabilities, labels, patients, Quick);
        var first = PatientBootstrap.Evaluate(probabilities, labels, patients, Quick).Auroc;
        var second = PatientBootstrap.Evaluate(noisier, labels, patients, Quick).Auroc;

        var paired = difference.Upper - difference.Lower;
        output.WriteLine($"paired width {paired:F4}; AUROC widths {first.Upper - first.Lower:F4}, {second.Upper - second.Lower:F4}");
        Assert.True(paired < 0.5 * Math.Min(first.Upper - first.Lower, second.Upper - second.Lower), $"paired width {paired}");
        Assert.InRange(difference.Value, difference.Lower, difference.Upper);
    }

    [Fact]
    public void CompareAuroc_RejectsMismatchedLengths_AndIsUndefinedWithOneClass()
    {
        var (probabilities, labels, patients) = Cohort(patients: 50, seed: 8);

        Assert.Throws<ArgumentException>(() => PatientBootstrap.CompareAuroc(probabilities, probabilities[1..], labels, patients, Quick));
        Assert.Throws<ArgumentException>(() => PatientBootstrap.CompareAuroc(probabilities, probabilities, labels, patients[1..], Quick));
        var negatives = new bool[labels.Length];
        Assert.False(PatientBootstrap.CompareAuroc(probabilities, probabilities, negatives, patients, Quick).IsDefined);
    }

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
