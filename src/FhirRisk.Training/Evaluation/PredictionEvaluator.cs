using FhirRisk.Core.Statistics;

namespace FhirRisk.Training.Evaluation;

/// <summary>Evaluation progress: runs evaluated so far.</summary>
public readonly record struct EvaluationProgress(int RunsDone, int Runs);

/// <summary>
/// Computes the report's numbers from a <see cref="PredictionSet"/>: for each all-data run AUROC, AUPRC, Brier score and
/// ECE with patient-bootstrap intervals and the ROC, precision–recall and calibration curves; for few-shot runs the
/// point estimates per replicate, summarised over replicates per k (EHRSHOT reports mean ± spread over its 5 replicates
/// rather than bootstrapping each one).
/// </summary>
public static class PredictionEvaluator
{
    public static EvaluationResult Evaluate(PredictionSet predictions, BootstrapSettings? bootstrap = null, IProgress<EvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        bootstrap ??= new BootstrapSettings();
        bootstrap.Validate();
        var total = predictions.Runs.Count;
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
        return new EvaluationResult(predictions.Sources, bootstrap, runs, curves, MacroAuroc(curves));
    }

    private static RunEvaluation EvaluateRun(PredictionRun run, Prediction[] rows, BootstrapSettings bootstrap)
    {
        var (probabilities, labels, patients) = Columns(rows);
        var metrics = PatientBootstrap.Evaluate(probabilities, labels, patients, bootstrap);
        var ranked = metrics.RankingUndefinedReason is null;
        return new RunEvaluation(run.Task, run.Method, metrics,
            ranked ? BinaryMetrics.RocCurve(probabilities, labels) : null,
            ranked ? BinaryMetrics.PrecisionRecallCurve(probabilities, labels) : null,
            BinaryMetrics.CalibrationCurve(probabilities, labels, bootstrap.CalibrationBins));
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

    private static List<MacroKShotPoint> MacroAuroc(List<KShotCurve> curves) =>
    [
        .. curves
            .SelectMany(c => c.Points.Where(p => p.Auroc.Defined > 0).Select(p => (c.Method, p.KShot, p.Auroc.Mean)))
            .GroupBy(p => (p.Method, p.KShot))
            .OrderBy(g => g.Key.Method, StringComparer.Ordinal).ThenBy(g => g.Key.KShot ?? int.MaxValue)
            .Select(g => new MacroKShotPoint(g.Key.Method, g.Key.KShot, g.Average(p => p.Mean), g.Count())),
    ];

    private static (double[] Probabilities, bool[] Labels, long[] Patients) Columns(Prediction[] rows) =>
        ([.. rows.Select(r => r.Probability)], [.. rows.Select(r => r.Label)], [.. rows.Select(r => r.SubjectId)]);
}
