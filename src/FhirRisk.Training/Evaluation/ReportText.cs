using System.Globalization;
using FhirRisk.Core.Statistics;

namespace FhirRisk.Training.Evaluation;

/// <summary>How the Markdown and HTML summaries write numbers and names, so the two say exactly the same.</summary>
internal static class ReportText
{
    public static readonly string[] MetricHeaders = ["AUROC", "AUPRC", "Brier", "ECE", "ECE if calibrated"];

    /// <summary>The metrics of a run as cells: "0.812 (0.790–0.834)", or why a metric is undefined; last the ECE's noise
    /// floor (what a calibrated model would score by chance), which the ECE should be read against.</summary>
    public static string[] MetricCells(RunEvaluation run, int requestedReplicates)
    {
        var metrics = run.Metrics;
        return
        [
            Estimate(metrics.Auroc, "F3", metrics.RankingUndefinedReason, requestedReplicates),
            Estimate(metrics.AveragePrecision, "F3", metrics.Positives == 0 ? "no positive labels" : metrics.RankingUndefinedReason, requestedReplicates),
            Estimate(metrics.BrierScore, "F4", "no predictions", requestedReplicates),
            Estimate(metrics.ExpectedCalibrationError, "F4", "no predictions", requestedReplicates),
            double.IsNaN(run.ExpectedCalibrationErrorIfCalibrated) ? "–" : Number(run.ExpectedCalibrationErrorIfCalibrated, "F4"),
        ];
    }

    /// <summary>"0.812 (0.790–0.834)"; "0.969 (0.939–0.993) (165/200 replicates)" when replicates where the metric was
    /// undefined (no positive patient drawn) were left out, as that interval is conditional on drawing one.</summary>
    public static string Estimate(MetricEstimate estimate, string format, string? undefinedReason, int requestedReplicates) =>
        !estimate.IsDefined ? $"undefined ({undefinedReason ?? "no data"})"
        : estimate.Replicates == 0 ? Number(estimate.Value, format) + ReplicatesUsed(estimate, requestedReplicates)
        : $"{Number(estimate.Value, format)} ({Number(estimate.Lower, format)}–{Number(estimate.Upper, format)}){ReplicatesUsed(estimate, requestedReplicates)}";

    /// <summary>A signed difference over its interval, "−0.042 (−0.067 to −0.018)" ("to", since a dash would read as a
    /// minus sign), or why it is undefined; with the replicates used when fewer than requested.</summary>
    public static string Difference(MetricEstimate estimate, int requestedReplicates) =>
        !estimate.IsDefined ? "undefined (the labels hold one class only)"
        : estimate.Replicates == 0 || double.IsNaN(estimate.Lower) ? Signed(estimate.Value) + ReplicatesUsed(estimate, requestedReplicates)
        : $"{Signed(estimate.Value)} ({Signed(estimate.Lower)} to {Signed(estimate.Upper)}){ReplicatesUsed(estimate, requestedReplicates)}";

    /// <summary>" (165/200 replicates)" when the interval used fewer replicates than were drawn, else empty.</summary>
    public static string ReplicatesUsed(MetricEstimate estimate, int requestedReplicates) =>
        estimate.Replicates < requestedReplicates ? $" ({Count(estimate.Replicates)}/{Count(requestedReplicates)} replicates)" : "";

    /// <summary>"+0.012", "−0.042" (a true minus sign), "0.000".</summary>
    public static string Signed(double value) => value.ToString("+0.000;\u22120.000;0.000", CultureInfo.InvariantCulture);

    /// <summary>"0.745 ± 0.021" over replicates, or "–" when no replicate had the metric.</summary>
    public static string Spread(ReplicateSpread spread) =>
        spread.Defined == 0 ? "–" : spread.Defined == 1 ? Number(spread.Mean, "F3") : $"{Number(spread.Mean, "F3")} ± {Number(spread.StandardDeviation, "F3")}";

    public static string K(int? k) => k?.ToString(CultureInfo.InvariantCulture) ?? "all";

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>The most characters of a name a file name keeps: with the hash and the longest chart suffix
    /// (<c>-calibration.png</c>) well under the 255 bytes a file name may have (review s22 evaluate L6: a long task name
    /// failed the whole report).</summary>
    public const int FileSafeLength = 80;

    /// <summary>
    /// A task or method name as a file-name part: itself when it holds only lower-case ASCII letters, digits, '-' and '_'
    /// and is at most <see cref="FileSafeLength"/> characters, else its first <see cref="FileSafeLength"/> characters
    /// made safe plus a short hash of the whole name as given, so that two names that differ only in what is replaced
    /// (<c>icu mortality</c>, <c>icu_mortality</c>), in case or after the cut never share a file (review s16-eval #6:
    /// the report showed the second task's charts under both headings). The macro chart's name
    /// (<see cref="ReportPlots.MacroName"/>) takes the hash too, so that a task of that name keeps its own k-shot chart
    /// (review s22 evaluate L1).
    /// </summary>
    public static string FileSafe(string name)
    {
        var safe = string.Concat(name.Take(FileSafeLength).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        return name.Length <= FileSafeLength && name != ReportPlots.MacroName && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_')
            ? safe
            : string.Create(CultureInfo.InvariantCulture, $"{safe}-{(ulong)Core.StableHash.Of63(name) & 0xFFFFFFFF:x8}");
    }

    /// <summary>With <c>--common-points</c> having left points out, that every method of those tasks is scored on the
    /// points all of its runs share, not on the whole split; null when no point was left out (review s22 evaluate M2:
    /// only stderr said so).</summary>
    public static string? LeftOutNote(EvaluationResult result) =>
        result.LeftOutPoints.Count == 0 ? null
        : $"Only the prediction points every run of a task predicted are evaluated (--common-points): {Count(result.LeftOutPoints.Values.Sum(v => (long)v))} point(s) " +
          $"of {Count(result.LeftOutPoints.Count)} task(s) were left out, so those tasks' metrics describe a subset of their points (see each task's warning).";

    /// <summary>"Warning (evaluation.one-class): …", as the summaries show it under the task's heading.</summary>
    public static string Warning(Core.Issue warning) => $"Warning ({warning.Code}): {warning.Message}";

    public static string MethodNote(BootstrapSettings bootstrap) =>
        $"95% confidence intervals: {Count(bootstrap.Replicates)} bootstrap replicates resampled by patient (seed {bootstrap.Seed.ToString(CultureInfo.InvariantCulture)}), " +
        $"percentile method at level {Number(bootstrap.ConfidenceLevel, "0.###")}. AUPRC is average precision (scikit-learn's definition, no interpolation). " +
        "An interval marked (165/200 replicates) comes from the replicates in which the metric was defined, those that drew a patient of each class: " +
        "it is conditional on drawing one, so narrower than the sampling error, and rests on very few patients. " +
        $"ECE uses {bootstrap.CalibrationBins.ToString(CultureInfo.InvariantCulture)} equal-width bins weighted by their share of predictions. " +
        "ECE's interval is not centred on it: sampling noise biases ECE upwards, more so on a resample that repeats patients, so the interval sits mostly above the estimate. " +
        "Read ECE against 'ECE if calibrated', the ECE a perfectly calibrated model would score on the same bins by chance (its noise floor). " +
        "k-shot cells are the mean ± standard deviation over replicates of each k (training examples per class). " +
        "AUROC differences to a reference method are paired: each replicate scores both methods on the same resampled patients.";
}
