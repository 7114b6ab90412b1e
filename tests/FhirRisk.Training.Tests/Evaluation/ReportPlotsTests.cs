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
}
