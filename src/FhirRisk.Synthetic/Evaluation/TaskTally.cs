using System.Runtime.InteropServices;
using FhirRisk.Core.Statistics;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Synthetic.Evaluation;

/// <summary>
/// The (true probability, outcome) pairs of every task, and the observable probability where there is one, kept for the
/// oracle's and the observable truth's AUROC at the end of a run: 17 bytes a prediction point, about 20 MB for 100,000
/// patients; the events themselves are never kept.
/// </summary>
internal sealed class TaskTally
{
    private readonly Dictionary<string, (List<double> Probabilities, List<bool> Outcomes, List<double> Observable)> _tasks = new(StringComparer.Ordinal);

    public TaskTally()
    {
        foreach (var task in TaskCatalog.Names)
            _tasks.Add(task, ([], [], []));
    }

    /// <param name="observable">The observable probability; a task has it at every point or at none.</param>
    public void Add(string task, double probability, bool outcome, double? observable = null)
    {
        var (probabilities, outcomes, observables) = _tasks[task];
        probabilities.Add(probability);
        outcomes.Add(outcome);
        if (observable is { } p)
            observables.Add(p);
    }

    public IReadOnlyList<TaskTruthSummary> Summarize() =>
    [
        .. TaskCatalog.Names.Select(task =>
        {
            var (probabilities, outcomes, observables) = _tasks[task];
            return new TaskTruthSummary(
                task,
                probabilities.Count,
                outcomes.LongCount(o => o),
                probabilities.Count == 0 ? double.NaN : probabilities.Average(),
                BinaryMetrics.Auroc(CollectionsMarshal.AsSpan(probabilities), CollectionsMarshal.AsSpan(outcomes)),
                observables.Count == probabilities.Count && observables.Count > 0
                    ? BinaryMetrics.Auroc(CollectionsMarshal.AsSpan(observables), CollectionsMarshal.AsSpan(outcomes))
                    : double.NaN);
        }),
    ];
}
