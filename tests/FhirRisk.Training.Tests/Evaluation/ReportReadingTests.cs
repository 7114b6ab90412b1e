using System.Text.Json;
using FhirRisk.Core.Statistics;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Tests.Evaluation;

/// <summary>What the report tells a reader beside the numbers: conditional intervals, warnings, the ECE's noise floor,
/// which tasks a macro point averages.</summary>
public sealed class ReportReadingTests
{
    private static readonly BootstrapSettings Bootstrap = new() { Replicates = 200, Seed = 0 };
    private static readonly LabeledPoint[] Points = SyntheticPredictions.Points(150, 31);
    private static readonly IReadOnlyDictionary<string, ReportFigure[]> NoFigures = new Dictionary<string, ReportFigure[]>();

    [Fact]
    public void RareOutcome_IntervalsSayHowManyReplicatesTheyUsed_AndTheTaskIsWarnedAbout()
    {
        // Two positive patients: about e^-2 of the replicates draw neither and are left out of AUROC and AUPRC.
        var rare = Points.Select(p => p with { Label = p.SubjectId is 3 or 70 }).ToArray();
        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", SyntheticPredictions.Predict(rare, "rare", "heads", 1.0, 1))]), Bootstrap);

        var auroc = Assert.Single(result.Runs).Metrics.Auroc;
        Assert.InRange(auroc.Replicates, 1, 199);
        var used = $"({auroc.Replicates}/200 replicates)";
        Assert.EndsWith(used, ReportText.MetricCells(result.Runs[0], 200)[0], StringComparison.Ordinal);
        Assert.DoesNotContain("replicates)", ReportText.MetricCells(result.Runs[0], 200)[2], StringComparison.Ordinal); // Brier used all 200
        Assert.Contains(used, SummaryMarkdown.Render(result, NoFigures, null), StringComparison.Ordinal);
        Assert.Contains(used, SummaryHtml.Render(result, NoFigures, null), StringComparison.Ordinal);

        var warning = Assert.Single(result.Warnings);
        Assert.Equal((EvaluationIssueCodes.FewPatients, "rare"), (warning.Code, warning.Path));
        Assert.Contains($"{auroc.Replicates}/200", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CommonOutcome_NoReplicateCountAndNoWarning()
    {
        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", SyntheticPredictions.Predict(Points, "common", "heads", 1.0, 1))]), Bootstrap);

        Assert.Empty(result.Warnings);
        Assert.All(ReportText.MetricCells(result.Runs[0], 200), cell => Assert.DoesNotContain("replicates", cell, StringComparison.Ordinal));
    }

    [Fact]
    public void OneClassTask_WithOnlyFewShotRuns_IsWarnedAbout()
    {
        var negatives = Points.Select(p => p with { Label = false }).ToArray();
        Prediction[] rows =
        [
            .. SyntheticPredictions.Predict(negatives, "none", "probe", 1.0, 1, k: 1, replicate: 0),
            .. SyntheticPredictions.Predict(negatives, "none", "probe", 1.0, 2, k: 2, replicate: 0),
            .. SyntheticPredictions.Predict(Points, "some", "probe", 1.0, 3),
        ];

        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", rows)]), Bootstrap);

        Assert.DoesNotContain(result.Runs, r => r.Task == "none"); // no all-data run to hang a warning on
        var warning = Assert.Single(result.Warnings);
        Assert.Equal((EvaluationIssueCodes.OneClass, "none"), (warning.Code, warning.Path));
        Assert.Contains("all 2 run(s) (probe (k-shot))", warning.Message, StringComparison.Ordinal);
        Assert.Contains("AUROC and AUPRC are undefined", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OneClassTask_WithoutNegatives_SaysAuprcIsOneWhateverTheRanking()
    {
        // CLI review s10 #5: the warning called AUPRC undefined while the table showed 1.000 for a task with no negatives.
        var positives = Points.Select(p => p with { Label = true }).ToArray();
        Prediction[] rows = [.. SyntheticPredictions.Predict(positives, "all", "heads", 1.0, 1), .. SyntheticPredictions.Predict(Points, "some", "heads", 1.0, 3)];

        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", rows)]), Bootstrap);

        var warning = Assert.Single(result.Warnings, w => w.Path == "all");
        Assert.Contains("AUROC is undefined, and AUPRC is 1 whatever the ranking", warning.Message, StringComparison.Ordinal);
        Assert.Equal(1.0, Assert.Single(result.Runs, r => r.Task == "all").Metrics.AveragePrecision.Value);
    }

    [Fact]
    public void Ece_IsShownBesideItsNoiseFloor_AndTheNoteSaysItsIntervalIsNotCentred()
    {
        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", SyntheticPredictions.Predict(Points, "t", "heads", 1.0, 1))]), Bootstrap);
        var run = result.Runs[0];

        Assert.Equal(BinaryMetrics.ExpectedCalibrationErrorIfCalibrated(run.Calibration), run.ExpectedCalibrationErrorIfCalibrated);
        Assert.True(run.ExpectedCalibrationErrorIfCalibrated > 0);
        var markdown = SummaryMarkdown.Render(result, NoFigures, null);
        Assert.Contains("| ECE if calibrated |", markdown, StringComparison.Ordinal);
        Assert.Contains($"| {ReportText.Number(run.ExpectedCalibrationErrorIfCalibrated, "F4")} |", markdown, StringComparison.Ordinal);
        Assert.Contains("not centred", ReportText.MethodNote(result.Bootstrap), StringComparison.Ordinal);

        using var stream = new MemoryStream();
        MetricsJson.Write(stream, result);
        using var json = JsonDocument.Parse(stream.ToArray());
        Assert.Equal(run.ExpectedCalibrationErrorIfCalibrated, json.RootElement.GetProperty("runs")[0].GetProperty("ece_if_calibrated").GetDouble());
    }

    [Fact]
    public void MacroAuroc_AKWithFewerTasksIsMarked_AndLeftOffTheChart()
    {
        var other = SyntheticPredictions.Points(100, 32, firstSubject: 1000);
        Prediction[] rows =
        [
            .. SyntheticPredictions.Predict(Points, "a", "probe", 0.5, 1, k: 1, replicate: 0),
            .. SyntheticPredictions.Predict(Points, "a", "probe", 1.0, 2, k: 4, replicate: 0),
            .. SyntheticPredictions.Predict(other, "b", "probe", 1.0, 3, k: 4, replicate: 0), // b has no k = 1 run
        ];

        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", rows)]), Bootstrap);

        var (k1, k4) = (result.MacroKShot.Single(p => p.KShot == 1), result.MacroKShot.Single(p => p.KShot == 4));
        Assert.Equal((1, 2, true), (k1.Tasks, k1.MethodTasks, k1.IsPartial));
        Assert.Equal((2, 2, false), (k4.Tasks, k4.MethodTasks, k4.IsPartial));
        var line = Assert.Single(ReportPlots.MacroChart(result)!.Series);
        Assert.Equal([4.0], line.X);
        Assert.Contains("(1 of 2*)", ReportTables.Macro(result)!.Rows[0][1], StringComparison.Ordinal);
        Assert.Contains("left out", ReportPlots.Macro(result)!.Caption, StringComparison.Ordinal);
    }

    [Fact]
    public void MacroAuroc_ATaskWithOneClass_IsNotCountedAgainstEveryK_AndTheChartKeepsItsLines()
    {
        // Review s22 evaluate M1: a task whose AUROC is undefined at every k marked every macro point partial, and the
        // chart came out as empty axes.
        var other = SyntheticPredictions.Points(100, 32, firstSubject: 1000);
        var negatives = SyntheticPredictions.Points(60, 33, firstSubject: 2000).Select(p => p with { Label = false }).ToArray();
        Prediction[] rows =
        [
            .. SyntheticPredictions.Predict(Points, "a", "probe", 0.5, 1, k: 1, replicate: 0),
            .. SyntheticPredictions.Predict(Points, "a", "probe", 1.0, 2, k: 4, replicate: 0),
            .. SyntheticPredictions.Predict(other, "b", "probe", 0.5, 3, k: 1, replicate: 0),
            .. SyntheticPredictions.Predict(other, "b", "probe", 1.0, 4, k: 4, replicate: 0),
            .. SyntheticPredictions.Predict(negatives, "c", "probe", 0.5, 5, k: 1, replicate: 0),
            .. SyntheticPredictions.Predict(negatives, "c", "probe", 1.0, 6, k: 4, replicate: 0),
        ];

        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", rows)]), Bootstrap);

        Assert.All(result.MacroKShot, p => Assert.Equal((2, 2, false), (p.Tasks, p.MethodTasks, p.IsPartial)));
        Assert.Contains(result.Warnings, w => (w.Code, w.Path) == (EvaluationIssueCodes.OneClass, "c"));
        var line = Assert.Single(ReportPlots.MacroChart(result)!.Series);
        Assert.Equal([1.0, 4.0], line.X);
        Assert.DoesNotContain("*", ReportTables.Macro(result)!.Rows[0][1], StringComparison.Ordinal);
    }

    [Fact]
    public void MacroChart_WithEveryPointPartial_IsNotDrawn()
    {
        // c has only a k the others lack: every point averages fewer than the three tasks, so no line would be left.
        var other = SyntheticPredictions.Points(100, 32, firstSubject: 1000);
        var third = SyntheticPredictions.Points(100, 34, firstSubject: 2000);
        Prediction[] rows =
        [
            .. SyntheticPredictions.Predict(Points, "a", "probe", 0.5, 1, k: 1, replicate: 0),
            .. SyntheticPredictions.Predict(Points, "a", "probe", 1.0, 2, k: 4, replicate: 0),
            .. SyntheticPredictions.Predict(other, "b", "probe", 0.5, 3, k: 1, replicate: 0),
            .. SyntheticPredictions.Predict(other, "b", "probe", 1.0, 4, k: 4, replicate: 0),
            .. SyntheticPredictions.Predict(third, "c", "probe", 1.0, 5, k: 2, replicate: 0),
        ];

        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", rows)]), Bootstrap);

        Assert.All(result.MacroKShot, p => Assert.True(p.IsPartial));
        Assert.Contains(result.MacroKShot, p => p.Tasks == 2);
        Assert.Null(ReportPlots.MacroChart(result));
        Assert.Null(ReportPlots.Macro(result));
    }

    [Fact]
    public void CommonPoints_TheReportRecordsThePointsLeftOutAndEveryWarning()
    {
        // Review s22 evaluate M2: the warnings went to stderr only; summary.md, summary.html and metrics.json said
        // nothing of the points --common-points left out.
        var rare = Points.Select(p => p with { Label = p.SubjectId is 3 or 70 }).ToArray();
        var sample = Points.Where((_, i) => i % 2 == 0).ToArray();
        Prediction[] heads = [.. SyntheticPredictions.Predict(Points, "mort", "heads", 1.0, 1), .. SyntheticPredictions.Predict(rare, "rare", "heads", 1.0, 2)];
        Prediction[] rollouts = [.. SyntheticPredictions.Predict(sample, "mort", "rollouts", 1.0, 3), .. SyntheticPredictions.Predict(rare, "rare", "rollouts", 1.0, 4)];

        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("heads.parquet", heads), ("rollouts.parquet", rollouts)], commonPoints: true), Bootstrap);

        var leftOut = Points.Length - sample.Length;
        Assert.Equal([(EvaluationIssueCodes.LeftOutPoints, "mort"), (EvaluationIssueCodes.FewPatients, "rare")], result.Warnings.Select(w => (w.Code, w.Path)));
        using var stream = new MemoryStream();
        MetricsJson.Write(stream, result);
        using var json = JsonDocument.Parse(stream.ToArray());
        var tasks = json.RootElement.GetProperty("tasks").EnumerateArray().ToDictionary(t => t.GetProperty("task").GetString()!, t => t.GetProperty("left_out_points").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["mort"] = leftOut, ["rare"] = 0 }, tasks);
        var warnings = json.RootElement.GetProperty("warnings").EnumerateArray().ToArray();
        Assert.Equal(result.Warnings.Select(w => (w.Code, w.Path, w.Message)),
            warnings.Select(w => (w.GetProperty("code").GetString()!, w.GetProperty("task").GetString()!, w.GetProperty("message").GetString()!)));

        var markdown = SummaryMarkdown.Render(result, NoFigures, null);
        var html = SummaryHtml.Render(result, NoFigures, null);
        foreach (var summary in new[] { markdown, html })
        {
            Assert.Contains("--common-points", summary, StringComparison.Ordinal);
            Assert.Contains($"Warning ({EvaluationIssueCodes.LeftOutPoints})", summary, StringComparison.Ordinal);
            Assert.Contains($"Warning ({EvaluationIssueCodes.FewPatients})", summary, StringComparison.Ordinal);
        }
        // Each warning sits under its own task's heading, before the next task's.
        var (mort, rareHeading) = (markdown.IndexOf("## mort", StringComparison.Ordinal), markdown.IndexOf("## rare", StringComparison.Ordinal));
        Assert.InRange(markdown.IndexOf(EvaluationIssueCodes.LeftOutPoints, StringComparison.Ordinal), mort, rareHeading);
        Assert.True(markdown.IndexOf(EvaluationIssueCodes.FewPatients, StringComparison.Ordinal) > rareHeading);
    }

    [Fact]
    public void FewPatients_OnATaskWithOnlyFewShotRuns_ClaimsNoReplicates()
    {
        // Review s22 evaluate L7: no bootstrap runs for k-shot runs, yet the warning said "200/200 replicates used".
        var rare = Points.Select(p => p with { Label = p.SubjectId is 3 or 70 }).ToArray();
        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", SyntheticPredictions.Predict(rare, "rare", "probe", 1.0, 1, k: 1, replicate: 0))]), Bootstrap);

        var warning = Assert.Single(result.Warnings);
        Assert.Equal((EvaluationIssueCodes.FewPatients, "rare"), (warning.Code, warning.Path));
        Assert.Contains("only 2 patient(s)", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("replicates", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_ShowsNamesAsText_NeverAsMarkup()
    {
        // Review s22 evaluate L3: names from the predictions file were written as Markdown, so a newline made a heading,
        // a ']' broke the image links and raw HTML reached renderers that pass it through.
        const string task = "x]\n## injected <script>alert(1)</script>";
        const string method = "<img src=x onerror=alert(1)> *bold* _em_";
        var rows = SyntheticPredictions.Predict(Points, task, method, 1.0, 1);
        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("a`b.parquet", rows)]), Bootstrap);
        var figures = new Dictionary<string, ReportFigure[]> { [task] = [new ReportFigure("x-roc.png", $"{task}: ROC curves", [])] };

        var markdown = SummaryMarkdown.Render(result, figures, null);

        var lines = markdown.Split('\n');
        Assert.DoesNotContain(lines, l => l.StartsWith("## injected", StringComparison.Ordinal));
        Assert.DoesNotMatch(@"(?<!\\)<(script|img)", markdown); // a backslash before '<' makes it text
        Assert.DoesNotContain(" *bold*", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain(" _em_", markdown, StringComparison.Ordinal);
        Assert.Contains(@"## x\] \#\# injected \<script\>alert(1)\</script\>", lines);
        Assert.Contains(@"![x\] \#\# injected \<script\>alert(1)\</script\>: ROC curves](plots/x-roc.png)", lines);
        Assert.Contains(@"| \<img src=x onerror=alert(1)\> \*bold\* \_em\_ |", markdown, StringComparison.Ordinal);
        Assert.Contains("Predictions: ``a`b.parquet``.", lines);
    }
}
