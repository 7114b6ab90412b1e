using FhirRisk.Core.Statistics;

namespace FhirRisk.Training.Evaluation;

/// <summary>Evaluation progress: runs and paired comparisons evaluated so far.</summary>
/// <param name="RunsDone">Runs and paired comparisons evaluated so far.</param>
/// <param name="Runs">Runs and paired comparisons in all (each a bootstrap of its own).</param>
public readonly record struct EvaluationProgress(int RunsDone, int Runs);

/// <summary>
/// Computes the report's numbers from a <see cref="PredictionSet"/>: for each all-data run AUROC, AUPRC, Brier score and
/// ECE with patient-bootstrap intervals and the ROC, precision–recall and calibration curves; for few-shot runs the
/// point estimates per replicate, summarised over replicates per k (EHRSHOT reports mean ± spread over its 5 replicates
/// rather than bootstrapping each one); and, for every task with a reference method (an oracle, a baseline), each
/// other all-data method's AUROC difference to it with a paired patient-bootstrap interval.
/// </summary>
public static class PredictionEvaluator
{
    /// <summary>The reference methods compared against by default: the simulator's oracle, when the inputs hold it.</summary>
    public static IReadOnlyList<string> DefaultReferences { get; } = ["oracle"];

    /// <param name="predictions">The runs to evaluate.</param>
    /// <param name="bootstrap">Replicates, seed, level and calibration bins; defaults when null.</param>
    /// <param name="progress">Runs evaluated so far.</param>
    /// <param name="references">Methods every other all-data method of a task is compared with, where the task has
    /// them (<see cref="DefaultReferences"/> when null; empty: no comparisons).</param>
    /// <param name="cancellationToken">Stops between runs.</param>
    public static EvaluationResult Evaluate(PredictionSet predictions, BootstrapSettings? bootstrap = null, IProgress<EvaluationProgress>? progress = null,
        IReadOnlyList<string>? references = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        bootstrap ??= new BootstrapSettings();
        bootstrap.Validate();
        var referenceList = references ?? DefaultReferences;
        // The paired comparisons bootstrap as long as the runs do: the bar counts them too, so it does not sit at 100 %.
        var total = predictions.Runs.Count + ComparisonCount(predictions, referenceList);
        var done = 0;

        var runs = new List<RunEvaluation>();
        foreach (var (run, rows) in predictions.Runs.Where(r => r.Key.KShot is null))
        {
            cancellationToken.ThrowIfCancellationRequested();
            runs.Add(EvaluateRun(run, rows, bootstrap));
            progress?.Report(new EvaluationProgress(++done, total));
        }

        var fewShot = new Dictionary<(string Task, string Method, int K), List<(double Auroc, double AveragePrecision)>>();
        foreach (var (run, rows) in predictions.Runs.Where(r => r.Key.KShot is not null))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (probabilities, labels, _) = Columns(rows);
            var key = (run.Task, run.Method, run.KShot!.Value);
            if (!fewShot.TryGetValue(key, out var replicates))
                fewShot.Add(key, replicates = []);
            replicates.Add((BinaryMetrics.Auroc(probabilities, labels), BinaryMetrics.AveragePrecision(probabilities, labels)));
            progress?.Report(new EvaluationProgress(++done, total));
        }

        var curves = KShotCurves(fewShot, runs);
        var comparisons = Compare(predictions, referenceList, bootstrap, cancellationToken, () => progress?.Report(new EvaluationProgress(++done, total)));
        return new EvaluationResult(predictions.Sources, bootstrap, runs, curves, MacroAuroc(curves))
        {
            Comparisons = comparisons,
            Warnings = EvaluationWarnings.Of(predictions, runs, bootstrap.Replicates),
            LeftOutPoints = predictions.LeftOutPoints,
        };
    }

    /// <summary>Per task and reference present in it, every other all-data method's AUROC minus the reference's, paired
    /// by point (every run of a task covers the same points, <see cref="PredictionSet"/>).</summary>
    private static List<AurocComparison> Compare(PredictionSet predictions, IReadOnlyList<string> references, BootstrapSettings bootstrap,
        CancellationToken cancellationToken, Action compared)
    {
        var comparisons = new List<AurocComparison>();
        foreach (var (task, run, rows, reference, referenceRows) in Pairs(predictions, references))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var byPoint = referenceRows.ToDictionary(r => (r.SubjectId, r.PredictionTime), r => r.Probability);
            var (probabilities, labels, patients) = Columns(rows);
            var paired = rows.Select(r => byPoint[(r.SubjectId, r.PredictionTime)]).ToArray();
            comparisons.Add(new AurocComparison(task, run.Method, reference, PatientBootstrap.CompareAuroc(probabilities, paired, labels, patients, bootstrap)));
            compared();
        }
        return comparisons;
    }

    private static int ComparisonCount(PredictionSet predictions, IReadOnlyList<string> references) => Pairs(predictions, references).Count();

    /// <summary>Each all-data run of a task with a reference method present in it, beside that reference's rows.</summary>
    private static IEnumerable<(string Task, PredictionRun Run, Prediction[] Rows, string Reference, Prediction[] ReferenceRows)> Pairs(
        PredictionSet predictions, IReadOnlyList<string> references)
    {
        var allData = predictions.Runs.Where(r => r.Key.KShot is null).ToArray();
        foreach (var task in predictions.Tasks)
        {
            var taskRuns = allData.Where(r => r.Key.Task == task).ToArray();
            foreach (var reference in references.Distinct(StringComparer.Ordinal))
            {
                if (taskRuns.FirstOrDefault(r => r.Key.Method == reference) is not { Value: { } referenceRows })
                    continue;
                foreach (var (run, rows) in taskRuns.Where(r => r.Key.Method != reference))
                    yield return (task, run, rows, reference, referenceRows);
            }
        }
    }

    private static RunEvaluation EvaluateRun(PredictionRun run, Prediction[] rows, BootstrapSettings bootstrap)
    {
        var (probabilities, labels, patients) = Columns(rows);
        var metrics = PatientBootstrap.Evaluate(probabilities, labels, patients, bootstrap);
        var ranked = metrics.RankingUndefinedReason is null;
        var calibration = BinaryMetrics.CalibrationCurve(probabilities, labels, bootstrap.CalibrationBins);
        return new RunEvaluation(run.Task, run.Method, metrics,
            ranked ? BinaryMetrics.RocCurve(probabilities, labels) : null,
            ranked ? BinaryMetrics.PrecisionRecallCurve(probabilities, labels) : null,
            calibration)
        {
            ExpectedCalibrationErrorIfCalibrated = BinaryMetrics.ExpectedCalibrationErrorIfCalibrated(calibration),
        };
    }

    private static List<KShotCurve> KShotCurves(Dictionary<(string Task, string Method, int K), List<(double Auroc, double AveragePrecision)>> fewShot, List<RunEvaluation> runs)
    {
        var curves = new List<KShotCurve>();
        foreach (var group in fewShot.GroupBy(e => (e.Key.Task, e.Key.Method)))
        {
            var points = group.OrderBy(e => e.Key.K)
                .Select(e => new KShotPoint(e.Key.K, e.Value.Count, ReplicateSpread.Of(e.Value.Select(v => v.Auroc)), ReplicateSpread.Of(e.Value.Select(v => v.AveragePrecision))))
                .ToList();
            if (runs.FirstOrDefault(r => r.Task == group.Key.Task && r.Method == group.Key.Method) is { } all)
                points.Add(new KShotPoint(null, 1, ReplicateSpread.Of([all.Metrics.Auroc.Value]), ReplicateSpread.Of([all.Metrics.AveragePrecision.Value])));
            curves.Add(new KShotCurve(group.Key.Task, group.Key.Method, points));
        }
        return curves;
    }

    /// <summary>Per method and k, the mean over the tasks where that k has a defined AUROC, beside how many tasks the
    /// method has k-shot curves with a defined AUROC at some k for (a k with fewer averages other tasks,
    /// <see cref="MacroKShotPoint.IsPartial"/>). A task whose AUROC is undefined at every k (its labels hold one class,
    /// warned about as <see cref="EvaluationIssueCodes.OneClass"/>) is in no k's average, so it changes the set of tasks
    /// at no k: counting it would mark every k partial and leave the macro chart empty (review s22 evaluate M1).</summary>
    private static List<MacroKShotPoint> MacroAuroc(List<KShotCurve> curves)
    {
        var methodTasks = curves.Where(c => c.Points.Any(p => p.Auroc.Defined > 0)).GroupBy(c => c.Method)
            .ToDictionary(g => g.Key, g => g.Select(c => c.Task).Distinct().Count());
        return
        [
            .. curves
                .SelectMany(c => c.Points.Where(p => p.Auroc.Defined > 0).Select(p => (c.Method, p.KShot, p.Auroc.Mean)))
                .GroupBy(p => (p.Method, p.KShot))
                .OrderBy(g => g.Key.Method, StringComparer.Ordinal).ThenBy(g => g.Key.KShot ?? int.MaxValue)
                .Select(g => new MacroKShotPoint(g.Key.Method, g.Key.KShot, g.Average(p => p.Mean), g.Count(), methodTasks[g.Key.Method])),
        ];
    }

    private static (double[] Probabilities, bool[] Labels, long[] Patients) Columns(Prediction[] rows) =>
        ([.. rows.Select(r => r.Probability)], [.. rows.Select(r => r.Label)], [.. rows.Select(r => r.SubjectId)]);
}
