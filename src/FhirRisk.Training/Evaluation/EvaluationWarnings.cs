using System.Globalization;
using FhirRisk.Core;

namespace FhirRisk.Training.Evaluation;

/// <summary>
/// The warnings of an evaluation, one per task and kind, from the task's labels. Every run of a task covers the same
/// points with the same labels (<see cref="PredictionSet"/>), so a label problem is the task's, and one warning names
/// every run it touches, all-data and few-shot alike.
/// </summary>
internal static class EvaluationWarnings
{
    /// <summary>
    /// Below this many patients of a class, the patient bootstrap's intervals for AUROC and AUPRC rest on a handful of
    /// patients: a replicate draws none of c such patients with probability about e^−c (13 % at c = 2, 0.7 % at
    /// c = 5), and those replicates are left out, so the interval is conditional on drawing one and narrower than
    /// the sampling error it should show.
    /// </summary>
    public const int FewPatientsPerClass = 10;

    public static List<Issue> Of(PredictionSet predictions, IReadOnlyList<RunEvaluation> runs, int requestedReplicates)
    {
        var warnings = new List<Issue>();
        foreach (var task in predictions.Tasks)
        {
            var taskRuns = predictions.Runs.Where(r => r.Key.Task == task).ToArray();
            var rows = taskRuns[0].Value;
            if (predictions.LeftOutPoints.TryGetValue(task, out var leftOut))
            {
                warnings.Add(Issue.Warning(EvaluationIssueCodes.LeftOutPoints, task, Invariant(
                    $"{leftOut:N0} prediction point(s) that not every run predicted were left out; every run is evaluated on the {rows.Length:N0} they share ({Methods(taskRuns)}).")));
            }
            var positives = rows.Count(r => r.Label);
            if (positives == 0 || positives == rows.Length)
            {
                var allData = taskRuns.Any(r => r.Key.KShot is null) ? "; Brier and ECE are reported for its all-data runs" : "";
                warnings.Add(Issue.Warning(EvaluationIssueCodes.OneClass, task, Invariant(
                    $"the labels hold one class only ({(positives == 0 ? "no positive labels" : "no negative labels")}): {(positives == 0 ? "AUROC and AUPRC are undefined" : "AUROC is undefined, and AUPRC is 1 whatever the ranking (every precision is 1), so it says nothing,")} in all {taskRuns.Length} run(s) ({Methods(taskRuns)}){allData}.")));
                continue;
            }
            var positivePatients = rows.Where(r => r.Label).Select(r => r.SubjectId).Distinct().Count();
            var negativePatients = rows.Where(r => !r.Label).Select(r => r.SubjectId).Distinct().Count();
            var (fewest, label) = positivePatients <= negativePatients ? (positivePatients, "a positive") : (negativePatients, "a negative");
            if (fewest < FewPatientsPerClass)
            {
                // Only all-data runs are bootstrapped: a task with few-shot runs only has no interval, and no replicates
                // to count (review s22 evaluate L7: it claimed all of them used).
                var used = runs.Where(r => r.Task == task && r.Metrics.Auroc.IsDefined).Select(r => r.Metrics.Auroc.Replicates).ToArray();
                warnings.Add(Issue.Warning(EvaluationIssueCodes.FewPatients, task, used.Length == 0
                    ? Invariant($"only {fewest} patient(s) have {label} label: the k-shot AUROC and AUPRC rest on them; read them with care.")
                    : Invariant($"only {fewest} patient(s) have {label} label: the AUROC and AUPRC intervals rest on them, leave out the replicates that drew none (AUROC: {used.Min()}/{requestedReplicates} replicates used), and are narrower than the sampling error; read them with care.")));
            }
        }
        return warnings;
    }

    /// <summary>"heads, probe (k-shot)": each method once, in order of appearance.</summary>
    private static string Methods(IEnumerable<KeyValuePair<PredictionRun, Prediction[]>> runs) =>
        string.Join(", ", runs.GroupBy(r => r.Key.Method).Select(g => g.All(r => r.Key.KShot is not null) ? $"{g.Key} (k-shot)" : g.Key));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
