namespace FhirRisk.Core.Statistics;

/// <summary>The four evaluation metrics of one set of binary predictions, each with its patient-bootstrap interval.</summary>
/// <param name="Predictions">Rows evaluated.</param>
/// <param name="Positives">Rows with a positive label.</param>
/// <param name="Patients">Distinct patients: the unit the bootstrap resamples.</param>
/// <param name="Auroc">Area under the ROC curve; undefined with one class only.</param>
/// <param name="AveragePrecision">AUPRC as average precision (scikit-learn's definition); undefined with no positives.</param>
/// <param name="BrierScore">Mean squared error of the probabilities.</param>
/// <param name="ExpectedCalibrationError">ECE over equal-width bins, weighted by bin size.</param>
public sealed record BinaryEvaluation(
    int Predictions,
    int Positives,
    int Patients,
    MetricEstimate Auroc,
    MetricEstimate AveragePrecision,
    MetricEstimate BrierScore,
    MetricEstimate ExpectedCalibrationError)
{
    /// <summary>Why the ranking metrics (AUROC, AUPRC) are undefined, or null when they are defined.</summary>
    public string? RankingUndefinedReason => Predictions == 0 ? "no predictions"
        : Positives == 0 ? "no positive labels"
        : Positives == Predictions ? "no negative labels"
        : null;
}
