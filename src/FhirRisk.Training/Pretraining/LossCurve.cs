using FhirRisk.Core.Plotting;

namespace FhirRisk.Training.Pretraining;

/// <summary>
/// <c>loss.png</c>: the training loss of every step and the tuning loss of every evaluation against the step, so a
/// reader sees at a glance whether the run learned, plateaued or overfit.
/// </summary>
internal static class LossCurve
{
    public static void Save(IReadOnlyList<StepMetrics> history, string path)
    {
        if (history.Count == 0)
            return;
        var chart = new LineChart("Pretraining loss", "step", "cross-entropy (nats per token)");
        chart.Add(new Series("training", [.. history.Select(m => (double)m.Step)], [.. history.Select(m => m.Loss)]));
        var evaluated = history.Where(m => m.EvalLoss is not null).ToList();
        if (evaluated.Count > 0)
        {
            chart.Add(new Series("tuning", [.. evaluated.Select(m => (double)m.Step)], [.. evaluated.Select(m => m.EvalLoss!.Value)])
            {
                Style = SeriesStyle.LineAndMarkers,
            });
        }
        chart.SavePng(path);
    }
}
