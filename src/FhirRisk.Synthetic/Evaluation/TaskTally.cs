using System.Runtime.InteropServices;
using FhirRisk.Core.Statistics;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Synthetic.Evaluation;

/// <summary>
/// The (true probability, outcome) pairs of every task, kept for the oracle AUROC at the end of a run: nine bytes a
/// prediction point, about 10 MB for 100,000 patients; the events themselves are never kept.
/// </summary>
internal sealed class TaskTally
{
    private readonly Dictionary<string, (List<double> Probabilities, List<bool> Outcomes)> _tasks = new(StringComparer.Ordinal);

    public TaskTally()
    {
        foreach (var task in TaskCatalog.Names)
            _tasks.Add(task, ([], []));
    }

    public void Add(string task, double probability, bool outcome)
    {
        var (probabilities, outcomes) = _tasks[task];
        probabilities.Add(probability);
        outcomes.Add(outcome);
    }

    public IReadOnlyList<TaskTruthSummary> Summarize() =>
    [
        .. TaskCatalog.Names.Select(task =>
        {
            var (probabilities, outcomes) = _tasks[task];
            return new TaskTruthSummary(
                task,
                probabilities.Count,
                outcomes.LongCount(o => o),
                probabilities.Count == 0 ? double.NaN : probabilities.Average(),
                BinaryMetrics.Auroc(CollectionsMarshal.AsSpan(probabilities), CollectionsMarshal.AsSpan(outcomes)));
        }),
    ];
}
