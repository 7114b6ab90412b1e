using FhirRisk.Core.Statistics;

namespace FhirRisk.Core.Tests.Statistics;

public sealed class BinaryMetricsTests
{
    [Fact]
    public void Auroc_HandComputedCase_CountsOrderedPairs()
    {
        // Positives 0.35, 0.8; negatives 0.1, 0.4. Pairs (pos > neg): (0.35,0.1) (0.8,0.1) (0.8,0.4) = 3 of 4.
        Assert.Equal(0.75, BinaryMetrics.Auroc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 12);
    }

    [Fact]
    public void Auroc_Ties_CountOneHalf()
    {
        // Positives 0.5, 0.9; negatives 0.5, 0.2: (0.5 vs 0.5) = ½, the other three pairs = 1 → 3.5 / 4.
        Assert.Equal(0.875, BinaryMetrics.Auroc([0.5, 0.5, 0.2, 0.9], [true, false, false, true]), 12);
    }

    [Fact]
    public void Auroc_PerfectReversedAndConstant()
    {
        Assert.Equal(1.0, BinaryMetrics.Auroc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]), 12);
        Assert.Equal(0.0, BinaryMetrics.Auroc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]), 12);
        Assert.Equal(0.5, BinaryMetrics.Auroc([0.3, 0.3, 0.3, 0.3], [false, true, false, true]), 12);
    }

    [Fact]
    public void Auroc_OneClassOnly_IsNaN()
    {
        Assert.True(double.IsNaN(BinaryMetrics.Auroc([0.1, 0.2], [true, true])));
        Assert.True(double.IsNaN(BinaryMetrics.Auroc([], [])));
    }

    [Fact]
    public void Auroc_MatchesPairCountingOnRandomScores()
    {
        var random = new Random(7);
        var scores = Enumerable.Range(0, 300).Select(_ => Math.Round(random.NextDouble(), 1)).ToArray();
        var labels = scores.Select(s => random.NextDouble() < s).ToArray();
        double wins = 0, pairs = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            for (var j = 0; j < scores.Length; j++)
            {
                if (!labels[i] || labels[j])
                    continue;
                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        }
        Assert.Equal(wins / pairs, BinaryMetrics.Auroc(scores, labels), 12);
    }

    [Fact]
    public void Auroc_AcceptsScoresOutsideTheUnitInterval()
    {
        Assert.Equal(0.75, BinaryMetrics.Auroc([-3, 7, 2, 40], [false, false, true, true]), 12);
    }

    [Fact]
    public void AveragePrecision_HandComputedCase()
    {
        // Descending: 0.9 (+) 0.8 (−) 0.7 (+) 0.1 (−). Recall steps at 0.9 (P = 1) and 0.7 (P = 2/3): ½·1 + ½·⅔ = 5/6.
        Assert.Equal(5.0 / 6.0, BinaryMetrics.AveragePrecision([0.1, 0.9, 0.8, 0.7], [false, true, false, true]), 12);
    }

    [Fact]
    public void AveragePrecision_TiedGroupIsOneThreshold()
    {
        // One threshold holds both rows: recall 0 → 1 at precision ½, whatever order the tie is sorted in.
        Assert.Equal(0.5, BinaryMetrics.AveragePrecision([0.4, 0.4], [true, false]), 12);
        Assert.Equal(0.5, BinaryMetrics.AveragePrecision([0.4, 0.4], [false, true]), 12);
    }

    [Fact]
    public void AveragePrecision_NoPositives_IsNaN() =>
        Assert.True(double.IsNaN(BinaryMetrics.AveragePrecision([0.1, 0.2], [false, false])));

    [Fact]
    public void BrierScore_HandComputedCase()
    {
        // (0.1−0)² + (0.9−1)² + (0.5−1)² + (0.5−0)² = 0.01 + 0.01 + 0.25 + 0.25 → mean 0.13.
        Assert.Equal(0.13, BinaryMetrics.BrierScore([0.1, 0.9, 0.5, 0.5], [false, true, true, false]), 12);
    }

    [Fact]
    public void ExpectedCalibrationError_HandComputedCase()
    {
        // Bin (0.1, 0.2]: mean p 0.15, 1 of 2 positive → |0.15 − 0.5| = 0.35, weight 2/4.
        // Bin (0.8, 0.9]: mean p 0.85, 2 of 2 positive → |0.85 − 1| = 0.15, weight 2/4. ECE = 0.175 + 0.075 = 0.25.
        Assert.Equal(0.25, BinaryMetrics.ExpectedCalibrationError([0.12, 0.18, 0.82, 0.88], [false, true, true, true]), 12);
    }

    [Fact]
    public void ExpectedCalibrationError_PerfectlyCalibratedBins_IsZero()
    {
        // Every probability 0.25 (bin (0.2, 0.3]) with one positive in four.
        Assert.Equal(0.0, BinaryMetrics.ExpectedCalibrationError([0.25, 0.25, 0.25, 0.25], [true, false, false, false]), 12);
    }

    [Fact]
    public void CalibrationCurve_EdgesAreRightClosedAsInNumpyLinspace()
    {
        // 0.3 < 0.30000000000000004 (linspace's edge) → bin (0.2, 0.3]; 0.7 < 0.7000000000000001 → (0.6, 0.7];
        // 0.2 equals its edge exactly → (0.1, 0.2]; 0 → the first bin; 1 → the last.
        var curve = BinaryMetrics.CalibrationCurve([0.0, 0.2, 0.3, 0.7, 1.0], [false, false, true, true, true]);

        Assert.Equal([0.0, 0.1, 0.2, 0.6, 0.9], curve.Select(b => Math.Round(b.Lower, 12)));
        Assert.All(curve, b => Assert.Equal(1, b.Count));
        Assert.Equal([0.0, 0.2, 0.3, 0.7, 1.0], curve.Select(b => b.MeanPredicted));
    }

    [Fact]
    public void RocCurve_StartsAtTheOriginAndStepsOncePerDistinctScore()
    {
        var curve = BinaryMetrics.RocCurve([0.9, 0.5, 0.5, 0.2], [true, true, false, false]);

        Assert.Equal([(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)], curve.Select(p => (p.FalsePositiveRate, p.TruePositiveRate)));
        Assert.Equal([double.PositiveInfinity, 0.9, 0.5, 0.2], curve.Select(p => p.Threshold));
    }

    [Fact]
    public void PrecisionRecallCurve_StepsOncePerDistinctScoreDownToThePrevalence()
    {
        var curve = BinaryMetrics.PrecisionRecallCurve([0.9, 0.8, 0.7, 0.1], [true, false, true, false]);

        Assert.Equal([(0.0, 1.0), (0.5, 1.0), (0.5, 0.5), (1.0, 2.0 / 3.0), (1.0, 0.5)], curve.Select(p => (p.Recall, p.Precision)));
    }

    [Fact]
    public void Curves_WithOneClass_Throw()
    {
        Assert.Throws<ArgumentException>(() => BinaryMetrics.RocCurve([0.1, 0.2], [false, false]));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.PrecisionRecallCurve([0.1, 0.2], [true, true]));
    }

    [Fact]
    public void BadInputs_Throw()
    {
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Auroc([0.1, double.NaN], [true, false]));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Auroc([0.1], [true, false]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BinaryMetrics.BrierScore([1.5, 0.2], [true, false]));
        Assert.Throws<ArgumentOutOfRangeException>(() => BinaryMetrics.ExpectedCalibrationError([double.NaN], [true]));
    }

    [Theory]
    [InlineData(1, 0.3, 0.42)]       // |0 − 0.3|·0.7 + |1 − 0.3|·0.3
    [InlineData(2, 0.5, 0.25)]       // 0.5·0.25 + 0·0.5 + 0.5·0.25
    [InlineData(4, 0.25, 0.158203125)] // Σ_k C(4,k) 0.25^k 0.75^(4−k) |k/4 − 1/4|
    public void The_binomial_mean_absolute_deviation_is_exact_on_small_cases(int n, double p, double expected) =>
        Assert.Equal(expected, BinaryMetrics.MeanAbsoluteBinomialDeviation(n, p), 12);

    [Fact]
    public void The_binomial_mean_absolute_deviation_approaches_the_normal_one_for_large_n()
    {
        // E|S/n − p| → sqrt(2 p (1 − p) / (π n)).
        var (n, p) = (20_000, 0.2);
        Assert.Equal(Math.Sqrt(2 * p * (1 - p) / (Math.PI * n)), BinaryMetrics.MeanAbsoluteBinomialDeviation(n, p), 5);
    }

    [Fact]
    public void The_ece_of_a_calibrated_model_matches_its_expectation_from_the_curve()
    {
        // 600 rows with probabilities spread over (0, 0.6); labels drawn at those very probabilities, so any ECE is noise.
        var random = new Random(7);
        var probabilities = Enumerable.Range(0, 600).Select(_ => 0.6 * random.NextDouble()).ToArray();
        var (sum, draws) = (0.0, 2_000);
        for (var d = 0; d < draws; d++)
        {
            var labels = probabilities.Select(q => random.NextDouble() < q).ToArray();
            sum += BinaryMetrics.ExpectedCalibrationError(probabilities, labels);
        }
        var measured = sum / draws;
        var curve = BinaryMetrics.CalibrationCurve(probabilities, probabilities.Select(_ => false).ToArray());
        var expected = BinaryMetrics.ExpectedCalibrationErrorIfCalibrated(curve);

        Assert.InRange(expected, 0.03, 0.06);          // ten bins of about 100 rows: far from zero
        Assert.InRange(measured, 0.95 * expected, 1.0 * expected + 0.001); // the bin-mean binomial overstates a little, never understates
    }

    [Fact]
    public void The_ece_expected_of_a_calibrated_model_is_nan_without_rows_and_zero_for_certain_bins()
    {
        Assert.True(double.IsNaN(BinaryMetrics.ExpectedCalibrationErrorIfCalibrated([])));
        Assert.Equal(0, BinaryMetrics.ExpectedCalibrationErrorIfCalibrated([new CalibrationBin(0, 0.1, 5, 0, 0), new CalibrationBin(0.9, 1, 5, 1, 1)]));
    }
}
