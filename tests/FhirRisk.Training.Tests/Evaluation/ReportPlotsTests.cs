using FhirRisk.Core.Plotting;
using FhirRisk.Core.Statistics;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Tests.Evaluation;

public sealed class ReportPlotsTests
{
    private static readonly BootstrapSettings Bootstrap = new() { Replicates = 20, Seed = 0 };
    private static readonly LabeledPoint[] Points = SyntheticPredictions.Points(150, 31);

    [Fact]
    public void PrecisionRecallChart_StepsSoThatTheAreaUnderTheLineIsTheAuprc()
    {
        // Tied scores and a rare class: straight segments between these points would draw trapezoids.
        var rare = Points.Select(p => p with { Label = p.SubjectId % 20 == 3 }).ToArray();
        var rows = SyntheticPredictions.Predict(rare, "t", "heads", 0.5, 4).Select(r => r with { Probability = Math.Round(r.Probability, 1) }).ToArray();
        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", rows)]), Bootstrap);
        var run = result.Runs[0];

        var series = Assert.Single(ReportPlots.PrecisionRecall("t", result.Runs).Series);

        Assert.Equal(SeriesSteps.Pre, series.Steps);
        Assert.True(series.X.Zip(series.X.Skip(1)).All(pair => pair.First <= pair.Second), "recall ascends");
        // Steps-pre: point i + 1's precision holds over (recall_i, recall_{i+1}].
        var area = Enumerable.Range(1, series.X.Count - 1).Sum(i => (series.X[i] - series.X[i - 1]) * series.Y[i]);
        Assert.Equal(run.Metrics.AveragePrecision.Value, area, 12);
        var trapezoids = Enumerable.Range(1, series.X.Count - 1).Sum(i => (series.X[i] - series.X[i - 1]) * (series.Y[i] + series.Y[i - 1]) / 2);
        Assert.True(Math.Abs(trapezoids - area) > 1e-3, $"the case tells steps from straight lines: {trapezoids} vs {area}");
    }

    [Fact]
    public void File_names_of_tasks_that_differ_in_replaced_characters_or_case_never_collide()
    {
        // Review s16-eval #6: 'icu mortality' and 'icu_mortality' shared one set of plots, and the report showed the
        // second task's charts under both headings.
        Assert.Equal("icu_mortality", ReportText.FileSafe("icu_mortality"));
        string[] names = ["icu_mortality", "icu mortality", "icu/mortality", "ICU_mortality", "Icu_Mortality"];
        var files = names.Select(ReportText.FileSafe).ToArray();
        Assert.Equal(names.Length, files.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(files, f => Assert.Matches("^[A-Za-z0-9_-]+$", f));
    }

    [Fact]
    public void ProbabilityCharts_LeaveAMarginAroundTheUnitSquare_SoCurvesAlongItsEdgesAreNotUnderTheFrame()
    {
        // Review s22 evaluate M3: with the ranges exactly [0, 1] a perfect classifier's ROC and PR curves lay wholly on
        // the frame, and calibration markers at 0 or 1 were cut in half.
        var rows = SyntheticPredictions.Predict(Points, "t", "heads", 1.0, 4).Select(r => r with { Probability = r.Label ? 0.9 : 0.1 }).ToArray();
        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", rows)]), Bootstrap);
        Assert.Equal(1.0, result.Runs[0].Metrics.Auroc.Value);

        foreach (var chart in new[] { ReportPlots.PrecisionRecall("t", result.Runs), ReportPlots.Roc("t", result.Runs), ReportPlots.Calibration("t", result.Runs) })
        {
            foreach (var range in new[] { chart.XRange!.Value, chart.YRange!.Value })
                Assert.True(range.Min < 0 && range.Max > 1, $"{chart.Title}: [{range.Min}, {range.Max}] leaves no margin around [0, 1]");
            Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1], chart.XTicks!);
            Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1], chart.YTicks!);
        }
    }

    [Fact]
    public void ATaskNamedMacro_KeepsItsOwnKShotChart()
    {
        // Review s22 evaluate L1: the task's plots/macro-kshot.png was overwritten by the macro chart.
        var other = SyntheticPredictions.Points(100, 32, firstSubject: 1000);
        Prediction[] rows =
        [
            .. SyntheticPredictions.Predict(Points, "macro", "probe", 0.5, 1, k: 1, replicate: 0),
            .. SyntheticPredictions.Predict(other, "b", "probe", 0.5, 2, k: 1, replicate: 0),
        ];
        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", rows)]), Bootstrap);

        var files = result.Tasks.SelectMany(t => ReportPlots.ForTask(result, t)).Append(ReportPlots.Macro(result)!).Select(f => f.File).ToArray();

        Assert.Equal(3, files.Length); // k-shot runs only: each task's k-shot chart, and the macro chart
        Assert.Equal(files.Length, files.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Contains("macro-kshot.png", files);
    }

    [Fact]
    public void File_names_of_long_names_are_cut_and_stay_distinct()
    {
        // Review s22 evaluate L6: a 260-character task name made every chart's file name too long, and the report failed.
        var a = new string('a', 260);
        var b = new string('a', 259) + "b";

        var (fileA, fileB) = (ReportText.FileSafe(a), ReportText.FileSafe(b));

        Assert.True(fileA.Length <= 80 + 9, fileA); // the cut name, '-' and the hash
        Assert.NotEqual(fileA, fileB);
        Assert.StartsWith(new string('a', 80), fileA, StringComparison.Ordinal);
        Assert.Equal(new string('a', 80), ReportText.FileSafe(new string('a', 80)));
    }

    [Fact]
    public void KShotChart_DrawsEachAllDataLevelInItsMethodsColour_AcrossTheAxis_EvenWithOneK()
    {
        // Review s22 evaluate L4: the dashed all-data lines took the next free colours, and with one k ran from 4 to 4.
        Prediction[] rows =
        [
            .. SyntheticPredictions.Predict(Points, "t", "probe", 0.5, 1, k: 4, replicate: 0),
            .. SyntheticPredictions.Predict(Points, "t", "probe", 0.6, 2, k: 4, replicate: 1),
            .. SyntheticPredictions.Predict(Points, "t", "probe", 1.0, 3),
            .. SyntheticPredictions.Predict(Points, "t", "count", 0.3, 4, k: 4, replicate: 0),
            .. SyntheticPredictions.Predict(Points, "t", "count", 0.4, 5, k: 4, replicate: 1),
            .. SyntheticPredictions.Predict(Points, "t", "count", 0.8, 6),
        ];
        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", rows)]), Bootstrap);

        var chart = ReportPlots.KShot("t", result.KShotCurves.Select(c => (c.Method, c.Points)));

        var byName = chart.Series.ToDictionary(s => s.Name);
        Assert.Equal(4, byName.Count);
        Assert.NotEqual(byName["probe"].PaletteIndex, byName["count"].PaletteIndex);
        foreach (var method in new[] { "probe", "count" })
        {
            var dashed = byName[$"{method} (all data)"];
            Assert.Equal(byName[method].PaletteIndex, dashed.PaletteIndex);
            Assert.Equal([chart.XRange!.Value.Min, chart.XRange.Value.Max], dashed.X);
            Assert.True(dashed.X[0] < 4 && dashed.X[1] > 4, "the level spans the axis around the single k");
            Assert.NotNull(byName[method].Lower); // two replicates: a band
        }
    }

    [Fact]
    public void MacroChart_HasNoBand_ForItHasNoReplicates()
    {
        // Review s22 evaluate L4: the macro points carried a zero-width band, and the legend showed a band swatch.
        var other = SyntheticPredictions.Points(100, 32, firstSubject: 1000);
        Prediction[] rows =
        [
            .. SyntheticPredictions.Predict(Points, "a", "probe", 0.5, 1, k: 1, replicate: 0),
            .. SyntheticPredictions.Predict(other, "b", "probe", 0.5, 2, k: 1, replicate: 0),
        ];
        var result = PredictionEvaluator.Evaluate(PredictionSet.Create([("p", rows)]), Bootstrap);

        var series = Assert.Single(ReportPlots.MacroChart(result)!.Series);

        Assert.Null(series.Lower);
        Assert.Null(series.Upper);
    }
}
