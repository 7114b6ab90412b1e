namespace FhirRisk.Core.Statistics;

/// <summary>
/// A metric's point estimate on all predictions and its bootstrap percentile interval. <paramref name="Replicates"/>
/// counts the replicates the interval came from: a replicate where the metric is undefined (a resample that drew no
/// positive patient, for AUROC) is left out rather than counted as any value. Every field is NaN when the metric is
/// undefined on the data itself.
/// </summary>
public readonly record struct MetricEstimate(double Value, double Lower, double Upper, int Replicates)
{
    public static MetricEstimate Undefined => new(double.NaN, double.NaN, double.NaN, 0);

    public bool IsDefined => !double.IsNaN(Value);
}
