using FhirRisk.Core.Statistics;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Tests.Evaluation;

public sealed class PredictionEvaluatorTests
{
    private static readonly BootstrapSettings Quick = new() { Replicates = 100, Seed = 3 };

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
    private static readonly LabeledPoint[] Points = SyntheticPredictions.Points(150, 11);

    [Fact]
    public void Evaluate_Progress_CountsThePairedComparisonsToo()
    {
        // Each comparison with the oracle is a bootstrap as long as a run's: the bar sat at 100 % while they ran.
        var rows = new[] { "heads", "count_baseline", "oracle" }.SelectMany((method, i) => SyntheticPredictions.Predict(Points, "hospital_mortality", method, 1.0, (ulong)i + 1));
        var reports = new List<EvaluationProgress>();

        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", [.. rows])]), Quick, new SynchronousProgress<EvaluationProgress>(reports.Add));

        Assert.Equal(2, result.Comparisons.Count);
        Assert.Equal([.. Enumerable.Range(1, 5).Select(done => new EvaluationProgress(done, 5))], reports);
    }

    [Fact]
    public void Evaluate_AllDataRuns_HaveTheCoreMetricsAndCurves()
    {
        var heads = SyntheticPredictions.Predict(Points, "hospital_mortality", "heads", 1.0, 1);
        var baseline = SyntheticPredictions.Predict(Points, "hospital_mortality", "count_baseline", 0.3, 2);

        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", [.. heads, .. baseline])]), Quick);

        Assert.Equal(2, result.Runs.Count);
        var run = result.Runs.Single(r => r.Method == "heads");
        Assert.Equal(BinaryMetrics.Auroc([.. heads.Select(h => h.Probability)], [.. heads.Select(h => h.Label)]), run.Metrics.Auroc.Value, 15);
        Assert.Equal(150, run.Metrics.Patients);
        Assert.Equal(100, run.Metrics.Auroc.Replicates);
        Assert.NotNull(run.Roc);
        Assert.NotEmpty(run.Calibration);
        Assert.True(run.Metrics.Auroc.Value > result.Runs.Single(r => r.Method == "count_baseline").Metrics.Auroc.Value);
        Assert.Empty(result.KShotCurves);
    }

    [Fact]
    public void Evaluate_TaskWithNoPositives_IsReportedUndefinedNotNaN()
    {
        var negatives = Points.Select(p => p with { Label = false });
        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", SyntheticPredictions.Predict(negatives, "icu_mortality", "heads", 1, 1))]), Quick);

        var run = Assert.Single(result.Runs);
        Assert.Equal("no positive labels", run.Metrics.RankingUndefinedReason);
        Assert.False(run.Metrics.Auroc.IsDefined);
        Assert.Null(run.Roc);
        Assert.True(run.Metrics.BrierScore.IsDefined);
    }

    [Fact]
    public void Evaluate_FewShotRuns_AreSummarisedOverReplicatesWithTheAllDataPointLast()
    {
        Prediction[] rows =
        [
            .. SyntheticPredictions.Predict(Points, "t", "probe", 1.0, 1),
            .. SyntheticPredictions.Predict(Points, "t", "probe", 0.2, 2, k: 2, replicate: 0),
            .. SyntheticPredictions.Predict(Points, "t", "probe", 0.4, 3, k: 2, replicate: 1),
            .. SyntheticPredictions.Predict(Points, "t", "probe", 0.8, 4, k: 8, replicate: 0),
            .. SyntheticPredictions.Predict(Points, "t", "probe", 0.8, 5, k: 8, replicate: 1),
        ];

        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", rows)]), Quick);

        var curve = Assert.Single(result.KShotCurves);
        Assert.Equal([2, 8, null], curve.Points.Select(p => p.KShot));
        var k2 = curve.Points[0];
        var aurocs = new[] { 2, 3 }.Select(seed => Auroc(SyntheticPredictions.Predict(Points, "t", "probe", seed == 2 ? 0.2 : 0.4, (ulong)seed))).ToArray();
        Assert.Equal(aurocs.Average(), k2.Auroc.Mean, 12);
        Assert.Equal(Math.Abs(aurocs[0] - aurocs[1]) / Math.Sqrt(2), k2.Auroc.StandardDeviation, 12);
        Assert.Equal(2, k2.Replicates);
        Assert.Equal(result.Runs.Single().Metrics.Auroc.Value, curve.Points[^1].Auroc.Mean);
        Assert.Equal(3, result.MacroKShot.Count);
        Assert.All(result.MacroKShot, p => Assert.Equal(1, p.Tasks));
    }

    [Fact]
    public void Evaluate_ComparesEveryMethodWithTheOracle_PairedByPoint()
    {
        var heads = SyntheticPredictions.Predict(Points, "hospital_mortality", "heads", 1.0, 1);
        var oracle = SyntheticPredictions.Predict(Points, "hospital_mortality", "oracle", 2.0, 2);
        var baseline = SyntheticPredictions.Predict(Points, "hospital_mortality", "count_baseline", 0.3, 3);
        // The oracle's rows in another order: pairing goes by (subject, time), not by row.
        var set = PredictionSet.Create([("p", [.. heads, .. baseline]), ("o", [.. oracle.Reverse()])]);

        var result = PredictionEvaluator.Evaluate(set, Quick);

        Assert.Equal(["heads", "count_baseline"], result.Comparisons.Select(c => c.Method));
        Assert.All(result.Comparisons, c => Assert.Equal(("hospital_mortality", "oracle"), (c.Task, c.Reference)));
        var vsHeads = result.Comparisons[0].Difference;
        var expected = PatientBootstrap.CompareAuroc([.. heads.Select(r => r.Probability)], [.. oracle.Select(r => r.Probability)],
            [.. heads.Select(r => r.Label)], [.. heads.Select(r => r.SubjectId)], Quick);
        Assert.Equal(expected, vsHeads);
        Assert.Equal(Auroc(heads) - Auroc(oracle), vsHeads.Value, 12);
        Assert.True(vsHeads.Upper < 0, $"a weaker method ranks below the oracle: {vsHeads}");
    }

    [Fact]
    public void Evaluate_References_NamedOnesOnly_NoneWhenAbsentOrEmpty()
    {
        var heads = SyntheticPredictions.Predict(Points, "t", "heads", 1.0, 1);
        var baseline = SyntheticPredictions.Predict(Points, "t", "count_baseline", 0.3, 2);
        var set = PredictionSet.Create([("p", [.. heads, .. baseline])]);

        Assert.Empty(PredictionEvaluator.Evaluate(set, Quick).Comparisons); // no oracle in the inputs
        Assert.Empty(PredictionEvaluator.Evaluate(set, Quick, references: []).Comparisons);
        var named = PredictionEvaluator.Evaluate(set, Quick, references: ["count_baseline"]);

        var comparison = Assert.Single(named.Comparisons);
        Assert.Equal(("heads", "count_baseline"), (comparison.Method, comparison.Reference));
        Assert.Equal(Auroc(heads) - Auroc(baseline), comparison.Difference.Value, 12);
        Assert.StartsWith("heads vs count_baseline: AUROC difference +", comparison.Describe(Quick.Replicates), StringComparison.Ordinal);
    }

    private static double Auroc(Prediction[] rows) => BinaryMetrics.Auroc([.. rows.Select(r => r.Probability)], [.. rows.Select(r => r.Label)]);
}
