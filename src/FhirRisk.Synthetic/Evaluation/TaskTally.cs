using System.Runtime.InteropServices;
using FhirRisk.Core.Statistics;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Synthetic.Evaluation;

/// <summary>
/// The (true probability, outcome) pairs of every task, and the observable and record-reference probabilities where
/// there are any, kept for their AUROCs at the end of a run: 25 bytes a prediction point (three doubles and a bool),
/// about 25 MB for 100,000 patients; the events themselves are never kept.
/// </summary>
internal sealed class TaskTally
{
    private readonly Dictionary<string, (List<double> Probabilities, List<bool> Outcomes, List<double> Observable, List<double> Record)> _tasks =
        new(StringComparer.Ordinal);

    public TaskTally()
    {
        foreach (var task in TaskCatalog.Names)
            _tasks.Add(task, ([], [], [], []));
    }

    /// <param name="observable">The observable probability; a task has it at every point or at none.</param>
    /// <param name="record">The record reference; a task has it at every point or at none.</param>
    public void Add(string task, double probability, bool outcome, double? observable = null, double? record = null)
    {
        var (probabilities, outcomes, observables, records) = _tasks[task];
        probabilities.Add(probability);
        outcomes.Add(outcome);
        if (observable is { } p)
            observables.Add(p);
        if (record is { } r)
            records.Add(r);
    }

    public IReadOnlyList<TaskTruthSummary> Summarize() =>
    [
        .. TaskCatalog.Names.Select(task =>
        {
            var (probabilities, outcomes, observables, records) = _tasks[task];
            return new TaskTruthSummary(
                task,
                probabilities.Count,
                outcomes.LongCount(o => o),
                probabilities.Count == 0 ? double.NaN : probabilities.Average(),
                BinaryMetrics.Auroc(CollectionsMarshal.AsSpan(probabilities), CollectionsMarshal.AsSpan(outcomes)),
                Auroc(observables, outcomes),
                Auroc(records, outcomes));
        }),
    ];

    /// <summary>The AUROC of a per-point probability a task has at every point; NaN where it has none.</summary>
    private static double Auroc(List<double> scores, List<bool> outcomes) =>
        scores.Count == outcomes.Count && scores.Count > 0
            ? BinaryMetrics.Auroc(CollectionsMarshal.AsSpan(scores), CollectionsMarshal.AsSpan(outcomes))
            : double.NaN;
}
