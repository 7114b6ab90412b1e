using FhirRisk.Core;
using FhirRisk.Core.Statistics;

namespace FhirRisk.Training.Evaluation;

/// <summary>Everything an evaluation report shows, computed once (<see cref="PredictionEvaluator"/>).</summary>
/// <param name="Sources">The predictions files, in the order given.</param>
/// <param name="Bootstrap">How the intervals were drawn.</param>
/// <param name="Runs">Metrics and curves of every all-data run (task × method), tasks in input order.</param>
/// <param name="KShotCurves">Per (task, method) with few-shot runs: AUROC/AUPRC over k.</param>
/// <param name="MacroKShot">Per method and k: AUROC averaged over the tasks (EHRSHOT's macro-average).</param>
public sealed record EvaluationResult(
    IReadOnlyList<string> Sources,
    BootstrapSettings Bootstrap,
    IReadOnlyList<RunEvaluation> Runs,
    IReadOnlyList<KShotCurve> KShotCurves,
    IReadOnlyList<MacroKShotPoint> MacroKShot)
{
    /// <summary>Per task, each all-data method's AUROC difference to each reference method the task has.</summary>
    public IReadOnlyList<AurocComparison> Comparisons { get; init; } = [];

    /// <summary>What a reader must know to read the numbers: a task whose labels hold one class, a task with so few
    /// patients of a class that its intervals are unreliable, a task evaluated on the points its runs share (codes
    /// <see cref="EvaluationIssueCodes.OneClass"/>, <see cref="EvaluationIssueCodes.FewPatients"/>,
    /// <see cref="EvaluationIssueCodes.LeftOutPoints"/>; path: the task). The report shows them beside the task's
    /// numbers, which they qualify.</summary>
    public IReadOnlyList<Issue> Warnings { get; init; } = [];

    /// <summary>Per task, the prediction points left out because not every run predicted them
    /// (<see cref="PredictionSet.LeftOutPoints"/>); tasks that lost none are not listed.</summary>
    public IReadOnlyDictionary<string, int> LeftOutPoints { get; init; } = new Dictionary<string, int>();

    public IReadOnlyList<string> Tasks => [.. Runs.Select(r => r.Task).Concat(KShotCurves.Select(c => c.Task)).Distinct()];

    public IReadOnlyList<string> Methods => [.. Runs.Select(r => r.Method).Concat(KShotCurves.Select(c => c.Method)).Distinct()];
}

/// <summary>One all-data run: its metrics with intervals, and the curves (null when the data has one class only).</summary>
public sealed record RunEvaluation(
    string Task,
    string Method,
    BinaryEvaluation Metrics,
    IReadOnlyList<RocPoint>? Roc,
    IReadOnlyList<PrecisionRecallPoint>? PrecisionRecall,
    IReadOnlyList<CalibrationBin> Calibration)
{
    /// <summary>The ECE's noise floor: what a perfectly calibrated model would score on these bins by chance
    /// (<see cref="BinaryMetrics.ExpectedCalibrationErrorIfCalibrated"/>); NaN with no predictions.</summary>
    public double ExpectedCalibrationErrorIfCalibrated { get; init; } = double.NaN;
}

/// <summary>
/// <paramref name="Method"/>'s AUROC minus <paramref name="Reference"/>'s on the same points of <paramref name="Task"/>,
/// with a paired patient-bootstrap interval (<see cref="PatientBootstrap.CompareAuroc"/>): below zero, the method ranks
/// worse than the reference. An interval that excludes a margin says the data can tell the gap from it.
/// </summary>
public sealed record AurocComparison(string Task, string Method, string Reference, MetricEstimate Difference)
{
    /// <summary>"heads vs oracle: AUROC difference −0.042 (−0.067 to −0.018)", with "(165/200 replicates)" after it
    /// when the interval used fewer than the <paramref name="requestedReplicates"/> drawn.</summary>
    public string Describe(int requestedReplicates) => $"{Method} vs {Reference}: AUROC difference {ReportText.Difference(Difference, requestedReplicates)}";
}

/// <summary>Mean, standard deviation (n − 1), minimum and maximum of a metric over replicates; NaN when none is defined.</summary>
public readonly record struct ReplicateSpread(double Mean, double StandardDeviation, double Min, double Max, int Defined)
{
    public static ReplicateSpread Of(IEnumerable<double> values)
    {
        var defined = values.Where(v => !double.IsNaN(v)).ToArray();
        if (defined.Length == 0)
            return new ReplicateSpread(double.NaN, double.NaN, double.NaN, double.NaN, 0);
        var mean = defined.Average();
        var sd = defined.Length > 1 ? Math.Sqrt(defined.Sum(v => (v - mean) * (v - mean)) / (defined.Length - 1)) : 0;
        return new ReplicateSpread(mean, sd, defined.Min(), defined.Max(), defined.Length);
    }
}

/// <summary>One k of a k-shot curve (<paramref name="KShot"/> null: all training data).</summary>
public sealed record KShotPoint(int? KShot, int Replicates, ReplicateSpread Auroc, ReplicateSpread AveragePrecision);

/// <summary>A method's AUROC/AUPRC over k for one task.</summary>
public sealed record KShotCurve(string Task, string Method, IReadOnlyList<KShotPoint> Points);

/// <summary>The mean over tasks of a method's mean AUROC at one k, over the <paramref name="Tasks"/> tasks where it is
/// defined, of the <paramref name="MethodTasks"/> tasks the method has k-shot runs with a defined AUROC at some k for
/// (a task whose labels hold one class has none at any k, so it is in no k's average and not counted).</summary>
public sealed record MacroKShotPoint(string Method, int? KShot, double Auroc, int Tasks, int MethodTasks)
{
    /// <summary>Whether this k averages fewer tasks than the method has (a rare task with no defined replicate at small
    /// k, or no run at this k): its value is then over another set of tasks than the other k, and not comparable.</summary>
    public bool IsPartial => Tasks < MethodTasks;
}
