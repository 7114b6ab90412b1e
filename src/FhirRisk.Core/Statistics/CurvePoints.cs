namespace FhirRisk.Core.Statistics;

/// <summary>One point of a ROC curve: the rates when every score ≥ <paramref name="Threshold"/> is called positive
/// (the first point, before any threshold, has <see cref="double.PositiveInfinity"/>).</summary>
public readonly record struct RocPoint(double FalsePositiveRate, double TruePositiveRate, double Threshold);

/// <summary>One point of a precision–recall curve at a score threshold (∞ for the (recall 0, precision 1) start).</summary>
public readonly record struct PrecisionRecallPoint(double Recall, double Precision, double Threshold);

/// <summary>One non-empty bin of a calibration curve: (<paramref name="Lower"/>, <paramref name="Upper"/>], its
/// prediction count, mean predicted probability and observed fraction of positives.</summary>
public readonly record struct CalibrationBin(double Lower, double Upper, int Count, double MeanPredicted, double FractionPositive);
