namespace FhirRisk.Training.Evaluation;

/// <summary>A table of the summary: an optional lead-in sentence, a header row and text cells (first column a name,
/// the rest numbers).</summary>
internal sealed record ReportTable(string? Caption, IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>The summary's tables, built once so that summary.md and summary.html show the same cells.</summary>
internal static class ReportTables
{
    /// <summary>The task × method metrics table and, when there are few-shot runs, the AUROC-by-k table.</summary>
    public static IEnumerable<ReportTable> ForTask(EvaluationResult result, string task)
    {
        var runs = result.Runs.Where(r => r.Task == task).ToArray();
        if (runs.Length > 0)
        {
            yield return new ReportTable(null, ["Method", "Predictions", "Patients", "Positives", .. ReportText.MetricHeaders],
            [
                .. runs.Select(run => (IReadOnlyList<string>)[run.Method, ReportText.Count(run.Metrics.Predictions), ReportText.Count(run.Metrics.Patients),
                    ReportText.Count(run.Metrics.Positives), .. ReportText.MetricCells(run, result.Bootstrap.Replicates)]),
            ]);
        }
        var comparisons = result.Comparisons.Where(c => c.Task == task).ToArray();
        if (comparisons.Length > 0)
        {
            yield return new ReportTable("AUROC minus the reference method's on the same points, 95% paired bootstrap interval (below zero: ranks worse than the reference).",
                ["Method", "Reference", "AUROC difference"],
                [.. comparisons.Select(c => (IReadOnlyList<string>)[c.Method, c.Reference, ReportText.Difference(c.Difference, result.Bootstrap.Replicates)])]);
        }
        var curves = result.KShotCurves.Where(c => c.Task == task).ToArray();
        if (curves.Length > 0)
        {
            var ks = curves.SelectMany(c => c.Points).Select(p => p.KShot).Distinct().OrderBy(k => k ?? int.MaxValue);
            yield return new ReportTable("AUROC by training examples per class k (mean ± SD over replicates; 'all': trained on all data).", ["k", .. curves.Select(c => c.Method)],
            [
                .. ks.Select(k => (IReadOnlyList<string>)[ReportText.K(k), .. curves.Select(c => c.Points.FirstOrDefault(p => p.KShot == k) is { } p ? ReportText.Spread(p.Auroc) : "–")]),
            ]);
        }
    }

    /// <summary>Macro-AUROC by method and k, or null without few-shot runs.</summary>
    public static ReportTable? Macro(EvaluationResult result)
    {
        if (result.MacroKShot.Count == 0)
            return null;
        var methods = result.MacroKShot.Select(p => p.Method).Distinct().ToArray();
        var ks = result.MacroKShot.Select(p => p.KShot).Distinct().OrderBy(k => k ?? int.MaxValue);
        return new ReportTable("Mean over tasks of each task's mean AUROC (number of tasks in brackets). A count below the method's number of tasks " +
            "(marked *) averages another set of tasks than its other k, so it is not comparable with them and is left out of the chart.", ["k", .. methods],
        [
            .. ks.Select(k => (IReadOnlyList<string>)[ReportText.K(k), .. methods.Select(m => result.MacroKShot.FirstOrDefault(p => p.Method == m && p.KShot == k) is { } p
                ? $"{ReportText.Number(p.Auroc, "F3")} ({p.Tasks}{(p.IsPartial ? $" of {p.MethodTasks}*" : "")})" : "–")]),
        ]);
    }
}
