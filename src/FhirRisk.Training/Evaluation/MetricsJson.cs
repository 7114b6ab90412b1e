using System.Text.Json;
using FhirRisk.Core.Statistics;

namespace FhirRisk.Training.Evaluation;

/// <summary>
/// metrics.json: every number of the report for programs (docs/evaluation.md). An undefined metric is <c>null</c> with
/// the reason in <c>undefined_reason</c>, never NaN (which JSON cannot hold and readers would misread as a number).
/// </summary>
internal static class MetricsJson
{
    public const string Format = "fhirrisk-evaluation";
    public const int Version = 1;

    public static void Write(Stream stream, EvaluationResult result)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteNumber("format_version", Version);
        json.WriteStartArray("sources");
        foreach (var source in result.Sources)
            json.WriteStringValue(source);
        json.WriteEndArray();
        json.WriteStartObject("bootstrap");
        json.WriteString("resampling_unit", "patient");
        json.WriteNumber("replicates", result.Bootstrap.Replicates);
        json.WriteNumber("seed", result.Bootstrap.Seed);
        json.WriteNumber("confidence_level", result.Bootstrap.ConfidenceLevel);
        json.WriteString("interval", "percentile");
        json.WriteEndObject();
        json.WriteNumber("calibration_bins", result.Bootstrap.CalibrationBins);

        // A program reading the numbers must learn what qualifies them, as a person reading the summary does: a task
        // evaluated on fewer points than its inputs hold, one-class labels, few patients (review s22 evaluate M2).
        json.WriteStartArray("tasks");
        foreach (var task in result.Tasks)
        {
            json.WriteStartObject();
            json.WriteString("task", task);
            json.WriteNumber("left_out_points", result.LeftOutPoints.GetValueOrDefault(task));
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartArray("warnings");
        foreach (var warning in result.Warnings)
        {
            json.WriteStartObject();
            json.WriteString("code", warning.Code);
            json.WriteString("task", warning.Path);
            json.WriteString("message", warning.Message);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartArray("runs");
        foreach (var run in result.Runs)
            Run(json, run);
        json.WriteEndArray();

        json.WriteStartArray("k_shot");
        foreach (var curve in result.KShotCurves)
        {
            json.WriteStartObject();
            json.WriteString("task", curve.Task);
            json.WriteString("method", curve.Method);
            json.WriteStartArray("points");
            foreach (var point in curve.Points)
            {
                json.WriteStartObject();
                WriteK(json, point.KShot);
                json.WriteNumber("replicates", point.Replicates);
                Spread(json, "auroc", point.Auroc);
                Spread(json, "average_precision", point.AveragePrecision);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartArray("auroc_comparisons");
        foreach (var comparison in result.Comparisons)
        {
            json.WriteStartObject();
            json.WriteString("task", comparison.Task);
            json.WriteString("method", comparison.Method);
            json.WriteString("reference", comparison.Reference);
            Estimate(json, "auroc_difference", comparison.Difference);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartArray("macro_auroc_by_k");
        foreach (var point in result.MacroKShot)
        {
            json.WriteStartObject();
            json.WriteString("method", point.Method);
            WriteK(json, point.KShot);
            json.WriteNumber("auroc", point.Auroc);
            json.WriteNumber("tasks", point.Tasks);
            json.WriteNumber("method_tasks", point.MethodTasks);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Run(Utf8JsonWriter json, RunEvaluation run)
    {
        var m = run.Metrics;
        json.WriteStartObject();
        json.WriteString("task", run.Task);
        json.WriteString("method", run.Method);
        json.WriteNumber("predictions", m.Predictions);
        json.WriteNumber("positives", m.Positives);
        json.WriteNumber("patients", m.Patients);
        if (m.RankingUndefinedReason is { } reason)
            json.WriteString("undefined_reason", reason);
        else
            json.WriteNull("undefined_reason");
        Estimate(json, "auroc", m.Auroc);
        Estimate(json, "average_precision", m.AveragePrecision);
        Estimate(json, "brier", m.BrierScore);
        Estimate(json, "ece", m.ExpectedCalibrationError);
        Number(json, "ece_if_calibrated", run.ExpectedCalibrationErrorIfCalibrated);
        json.WriteStartArray("calibration");
        foreach (var bin in run.Calibration)
        {
            json.WriteStartObject();
            json.WriteNumber("lower", bin.Lower);
            json.WriteNumber("upper", bin.Upper);
            json.WriteNumber("count", bin.Count);
            json.WriteNumber("mean_predicted", bin.MeanPredicted);
            json.WriteNumber("fraction_positive", bin.FractionPositive);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Estimate(Utf8JsonWriter json, string name, MetricEstimate estimate)
    {
        if (!estimate.IsDefined)
        {
            json.WriteNull(name);
            return;
        }
        json.WriteStartObject(name);
        json.WriteNumber("value", estimate.Value);
        Number(json, "lower", estimate.Lower);
        Number(json, "upper", estimate.Upper);
        json.WriteNumber("replicates", estimate.Replicates);
        json.WriteEndObject();
    }

    private static void Spread(Utf8JsonWriter json, string name, ReplicateSpread spread)
    {
        if (spread.Defined == 0)
        {
            json.WriteNull(name);
            return;
        }
        json.WriteStartObject(name);
        json.WriteNumber("mean", spread.Mean);
        json.WriteNumber("sd", spread.StandardDeviation);
        json.WriteNumber("min", spread.Min);
        json.WriteNumber("max", spread.Max);
        json.WriteNumber("defined_replicates", spread.Defined);
        json.WriteEndObject();
    }

    private static void WriteK(Utf8JsonWriter json, int? k)
    {
        if (k is { } value)
            json.WriteNumber("k", value);
        else
            json.WriteString("k", "all");
    }

    // A bootstrap interval is NaN when no replicate had the metric (a single positive patient, say); the ECE's noise
    // floor is NaN with no predictions.
    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsNaN(value))
            json.WriteNull(name);
        else
            json.WriteNumber(name, value);
    }
}
