using System.Globalization;
using FhirRisk.Core.Statistics;

namespace FhirRisk.Training.Evaluation;

/// <summary>How the Markdown and HTML summaries write numbers and names, so the two say exactly the same.</summary>
internal static class ReportText
{
    public static readonly string[] MetricHeaders = ["AUROC", "AUPRC", "Brier", "ECE"];

    /// <summary>The four metrics of a run as cells: "0.812 (0.790–0.834)", or why a metric is undefined.</summary>
    public static string[] MetricCells(BinaryEvaluation metrics) =>
    [
        Estimate(metrics.Auroc, "F3", metrics.RankingUndefinedReason),
        Estimate(metrics.AveragePrecision, "F3", metrics.Positives == 0 ? "no positive labels" : metrics.RankingUndefinedReason),
        Estimate(metrics.BrierScore, "F4", "no predictions"),
        Estimate(metrics.ExpectedCalibrationError, "F4", "no predictions"),
    ];

    public static string Estimate(MetricEstimate estimate, string format, string? undefinedReason) =>
        !estimate.IsDefined ? $"undefined ({undefinedReason ?? "no data"})"
        : estimate.Replicates == 0 ? Number(estimate.Value, format)
        : $"{Number(estimate.Value, format)} ({Number(estimate.Lower, format)}–{Number(estimate.Upper, format)})";

    /// <summary>A signed difference over its interval, "−0.042 (−0.067 to −0.018)" ("to", since a dash would read as a
    /// minus sign), or why it is undefined.</summary>
    public static string Difference(MetricEstimate estimate) =>
        !estimate.IsDefined ? "undefined (the labels hold one class only)"
        : estimate.Replicates == 0 || double.IsNaN(estimate.Lower) ? Signed(estimate.Value)
        : $"{Signed(estimate.Value)} ({Signed(estimate.Lower)} to {Signed(estimate.Upper)})";

    /// <summary>"+0.012", "−0.042" (a true minus sign), "0.000".</summary>
    public static string Signed(double value) => value.ToString("+0.000;\u22120.000;0.000", CultureInfo.InvariantCulture);

    /// <summary>"0.745 ± 0.021" over replicates, or "–" when no replicate had the metric.</summary>
    public static string Spread(ReplicateSpread spread) =>
        spread.Defined == 0 ? "–" : spread.Defined == 1 ? Number(spread.Mean, "F3") : $"{Number(spread.Mean, "F3")} ± {Number(spread.StandardDeviation, "F3")}";

    public static string K(int? k) => k?.ToString(CultureInfo.InvariantCulture) ?? "all";

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A task or method name as a file-name part: letters, digits, '-' and '_' kept, anything else '_'.</summary>
    public static string FileSafe(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));

    public static string MethodNote(BootstrapSettings bootstrap) =>
        $"95% confidence intervals: {Count(bootstrap.Replicates)} bootstrap replicates resampled by patient (seed {bootstrap.Seed.ToString(CultureInfo.InvariantCulture)}), " +
        $"percentile method at level {Number(bootstrap.ConfidenceLevel, "0.###")}. AUPRC is average precision (scikit-learn's definition, no interpolation). " +
        $"ECE uses {bootstrap.CalibrationBins.ToString(CultureInfo.InvariantCulture)} equal-width bins weighted by their share of predictions. " +
        "k-shot cells are the mean ± standard deviation over replicates of each k (training examples per class). " +
        "AUROC differences to a reference method are paired: each replicate scores both methods on the same resampled patients.";
}
