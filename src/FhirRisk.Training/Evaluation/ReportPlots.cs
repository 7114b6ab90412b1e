using FhirRisk.Core.Plotting;

namespace FhirRisk.Training.Evaluation;

/// <summary>The report's charts (PNG, <see cref="LineChart"/>): per task ROC, precision–recall, calibration and k-shot.</summary>
internal static class ReportPlots
{
    public const int Width = 800;
    public const int Height = 500;

    /// <summary>The macro chart's file is <c>macro-kshot.png</c>; a task's charts are named by
    /// <see cref="ReportText.FileSafe"/>, which never gives this name.</summary>
    public const string MacroName = "macro";

    /// <summary>
    /// The range of a probability axis: [0, 1] with a margin, as matplotlib's and scikit-learn's displays leave, so that
    /// a curve along an edge (a ROC curve's rise at FPR 0 and its run to (1, 1), precision 1, an observed fraction of 0
    /// or 1) is drawn inside the frame rather than under it: a perfect classifier's curves were invisible (review s22
    /// evaluate M3). The ticks stay at 0 … 1 (<see cref="ProbabilityTicks"/>).
    /// </summary>
    internal static readonly (double Min, double Max) ProbabilityRange = (-0.02, 1.02);

    internal static readonly double[] ProbabilityTicks = [0, 0.2, 0.4, 0.6, 0.8, 1];

    /// <summary>Every chart for <paramref name="task"/>: ROC and precision–recall (when both classes occur), calibration, k-shot.</summary>
    public static IEnumerable<ReportFigure> ForTask(EvaluationResult result, string task)
    {
        var runs = result.Runs.Where(r => r.Task == task).ToArray();
        var ranked = runs.Where(r => r.Roc is not null).ToArray();
        var name = ReportText.FileSafe(task);
        if (ranked.Length > 0)
        {
            yield return new ReportFigure($"{name}-roc.png", $"{task}: ROC curves", Roc(task, ranked).EncodePng(Width, Height));
            yield return new ReportFigure($"{name}-pr.png", $"{task}: precision–recall curves (horizontal line: prevalence)", PrecisionRecall(task, ranked).EncodePng(Width, Height));
        }
        if (runs.Length > 0)
            yield return new ReportFigure($"{name}-calibration.png", $"{task}: calibration ({result.Bootstrap.CalibrationBins} equal-width bins)", Calibration(task, runs).EncodePng(Width, Height));
        var curves = result.KShotCurves.Where(c => c.Task == task && c.Points.Any(p => p.Auroc.Defined > 0)).ToArray();
        if (curves.Length > 0)
            yield return new ReportFigure($"{name}-kshot.png", $"{task}: AUROC by training examples per class (band: min–max over replicates)", KShot($"{task}: AUROC by k", curves.Select(c => (c.Method, c.Points))).EncodePng(Width, Height));
    }

    /// <summary>The macro-AUROC k-shot chart, when it averages over more than one task.</summary>
    public static ReportFigure? Macro(EvaluationResult result)
    {
        if (MacroChart(result) is not { } chart)
            return null;
        var caption = "Macro-AUROC over tasks by training examples per class (each line averages all of its method's tasks at every k";
        caption += result.MacroKShot.Any(p => p.IsPartial) ? "; a k with fewer tasks, marked * in the table, is left out)" : ")";
        return new ReportFigure($"{MacroName}-kshot.png", caption, chart.EncodePng(Width, Height));
    }

    /// <summary>Per method, the macro-AUROC at the k that average all of its tasks: a point over fewer tasks would move
    /// the line because the set of tasks changed, not the method (<see cref="MacroKShotPoint.IsPartial"/>). Null when
    /// no such point averages more than one task: empty axes would say nothing the table does not (review s22
    /// evaluate M1).</summary>
    internal static LineChart? MacroChart(EvaluationResult result)
    {
        var whole = result.MacroKShot.Where(p => !p.IsPartial).ToArray();
        if (!whole.Any(p => p.Tasks > 1))
            return null;
        var methods = whole.GroupBy(p => p.Method).Select(g => (g.Key, (IReadOnlyList<KShotPoint>)[.. g
            .Select(p => new KShotPoint(p.KShot, p.Tasks, ReplicateSpread.Of([p.Auroc]), default))]));
        return KShot("Macro-AUROC by k", methods);
    }

    internal static LineChart Roc(string task, IEnumerable<RunEvaluation> runs)
    {
        var chart = ProbabilityChart($"{task}: ROC", "False positive rate", "True positive rate");
        chart.AddDiagonal();
        foreach (var run in runs)
            chart.Add(new Series($"{run.Method} (AUROC {ReportText.Number(run.Metrics.Auroc.Value, "F3")})", [.. run.Roc!.Select(p => p.FalsePositiveRate)], [.. run.Roc!.Select(p => p.TruePositiveRate)]));
        return chart;
    }

    /// <summary>Each curve steps (ascending recall, each threshold's precision held back to the previous recall), so
    /// the area under it is the AUPRC in its legend; straight segments would draw trapezoids, which AUPRC is not
    /// (docs/evaluation.md). scikit-learn's PrecisionRecallDisplay draws the same steps over descending recall.</summary>
    internal static LineChart PrecisionRecall(string task, IReadOnlyList<RunEvaluation> runs)
    {
        var chart = ProbabilityChart($"{task}: precision-recall", "Recall", "Precision");
        // The prevalence: the precision of a random ranking, which AUPRC should be read against.
        chart.AddHorizontalLine((double)runs[0].Metrics.Positives / runs[0].Metrics.Predictions);
        foreach (var run in runs)
        {
            chart.Add(new Series($"{run.Method} (AUPRC {ReportText.Number(run.Metrics.AveragePrecision.Value, "F3")})",
                [.. run.PrecisionRecall!.Select(p => p.Recall)], [.. run.PrecisionRecall!.Select(p => p.Precision)]) { Steps = SeriesSteps.Pre });
        }
        return chart;
    }

    internal static LineChart Calibration(string task, IEnumerable<RunEvaluation> runs)
    {
        var chart = ProbabilityChart($"{task}: calibration", "Mean predicted probability", "Observed fraction positive");
        chart.AddDiagonal();
        foreach (var run in runs)
        {
            chart.Add(new Series($"{run.Method} (ECE {ReportText.Number(run.Metrics.ExpectedCalibrationError.Value, "F4")})",
                [.. run.Calibration.Select(b => b.MeanPredicted)], [.. run.Calibration.Select(b => b.FractionPositive)]) { Style = SeriesStyle.LineAndMarkers });
        }
        return chart;
    }

    private static LineChart ProbabilityChart(string title, string xLabel, string yLabel) => new(title, xLabel, yLabel)
    {
        XRange = ProbabilityRange, YRange = ProbabilityRange, XTicks = ProbabilityTicks, YTicks = ProbabilityTicks,
    };

    /// <summary>How far the k axis reaches past the smallest and largest k (a factor, on the log axis): about the 5 %
    /// margin an automatic range leaves over k = 1 … 128, and room on both sides of a single k.</summary>
    private const double KMargin = 1.25;

    /// <summary>
    /// Mean AUROC over replicates against k (log axis) with a min–max band where replicates spread; the all-data value
    /// as a dashed line across the whole axis in its method's colour (review s22 evaluate L4: it took the next free
    /// colour, so a reader paired lines wrongly, and with a single k it ran from that k to itself and was not drawn).
    /// A band of zero width (the macro chart's averages, one replicate per k) would only put a band in the legend.
    /// </summary>
    internal static LineChart KShot(string title, IEnumerable<(string Method, IReadOnlyList<KShotPoint> Points)> methods)
    {
        var chart = new LineChart(title, "Training examples per class (k)", "AUROC") { LogX = true };
        var ks = new SortedSet<double>();
        var lines = new List<(string Method, int Colour, double Auroc)>();
        foreach (var ((method, points), colour) in methods.Select((m, i) => (m, i)))
        {
            var shots = points.Where(p => p.KShot is not null && p.Auroc.Defined > 0).ToArray();
            foreach (var p in shots)
                ks.Add(p.KShot!.Value);
            if (shots.Length > 0)
            {
                var spread = shots.Any(p => p.Auroc.Defined > 1);
                chart.Add(new Series(method, [.. shots.Select(p => (double)p.KShot!.Value)], [.. shots.Select(p => p.Auroc.Mean)])
                {
                    Style = SeriesStyle.LineAndMarkers,
                    PaletteIndex = colour,
                    Lower = spread ? [.. shots.Select(p => p.Auroc.Min)] : null,
                    Upper = spread ? [.. shots.Select(p => p.Auroc.Max)] : null,
                });
            }
            if (points.FirstOrDefault(p => p.KShot is null && p.Auroc.Defined > 0) is { } all)
                lines.Add((method, colour, all.Auroc.Mean));
        }
        if (ks.Count > 0)
        {
            chart.XTicks = [.. ks];
            chart.XRange = (ks.Min / KMargin, ks.Max * KMargin);
            foreach (var (method, colour, auroc) in lines)
            {
                chart.Add(new Series($"{method} (all data)", [chart.XRange.Value.Min, chart.XRange.Value.Max], [auroc, auroc])
                {
                    Style = SeriesStyle.DashedLine,
                    PaletteIndex = colour,
                });
            }
        }
        return chart;
    }
}
