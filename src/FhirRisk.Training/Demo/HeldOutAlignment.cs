using FhirRisk.Training.Evaluation;
using FhirRisk.Training.Finetuning;

namespace FhirRisk.Training.Demo;

/// <summary>
/// The held-out predictions of every method of a demo run, restricted per task to the points all of them scored
/// (<c>evaluate</c> compares methods on one test set, docs/formats/predictions.md). The heads skip a point before its
/// subject's first token and the oracle one without a truth row, while the probes score every labelled point; in the
/// simulated cohort these differ by few or no points, and <see cref="Dropped"/> says how many.
/// </summary>
/// <param name="Methods">Per method name, its rows (all-data and k-shot).</param>
/// <param name="Points">(task, point) pairs every method scored.</param>
/// <param name="Dropped">(task, point) pairs some method scored and another did not, left out of all.</param>
/// <param name="OracleMismatches">Pairs whose label differs from the simulator's drawn outcome.</param>
public sealed record HeldOutAlignment(IReadOnlyDictionary<string, IReadOnlyList<Prediction>> Methods, int Points, int Dropped, int OracleMismatches)
{
    /// <summary>Keeps, per task, the points of every method that has the task (<paramref name="oracle"/>: the truth joined
    /// to the heads' points, <see cref="OraclePredictions.Match"/>), and the observable truth's and the record reference's
    /// rows at those points.</summary>
    public static HeldOutAlignment Align(OracleMatch oracle, IReadOnlyList<Prediction> heads, IReadOnlyList<Prediction> probe, IReadOnlyList<Prediction> counts)
    {
        ArgumentNullException.ThrowIfNull(oracle);
        var methods = new Dictionary<string, IReadOnlyList<Prediction>>
        {
            [HeadPredictor.MethodName] = heads,
            [Probes.EmbeddingFeaturizer.MethodName] = probe,
            [Baselines.CodeCountFeaturizer.MethodName] = counts,
            [OraclePredictions.MethodName] = oracle.Predictions,
        };
        var byTask = methods.Values
            .SelectMany(rows => rows.Where(r => r.KShot is null))
            .GroupBy(r => r.Task, StringComparer.Ordinal);
        var common = new HashSet<(string, long, DateTime)>();
        var (points, dropped) = (0, 0);
        foreach (var task in byTask)
        {
            var sets = methods.Values
                .Select(rows => rows.Where(r => r.KShot is null && r.Task == task.Key).Select(Key).ToHashSet())
                .Where(set => set.Count > 0)
                .ToArray();
            var all = sets.SelectMany(s => s).ToHashSet();
            var shared = sets.Aggregate((a, b) => [.. a.Intersect(b)]);
            common.UnionWith(shared);
            (points, dropped) = (points + shared.Count, dropped + all.Count - shared.Count);
        }
        var kept = methods.ToDictionary(m => m.Key, m => (IReadOnlyList<Prediction>)[.. m.Value.Where(r => common.Contains(Key(r)))], StringComparer.Ordinal);
        // The observable truth and the record reference exist for some tasks only, so they follow the common points
        // rather than narrowing them.
        foreach (var (method, rows) in new[] { (OraclePredictions.ObservableMethodName, oracle.Observable), (OraclePredictions.RecordMethodName, oracle.Record) })
        {
            var reference = rows.Where(r => common.Contains(Key(r))).ToArray();
            if (reference.Length > 0)
                kept[method] = reference;
        }
        return new HeldOutAlignment(kept, points, dropped, oracle.OutcomeMismatches);
    }

    /// <summary>Writes one predictions file per method into <paramref name="folder"/> and returns their paths.</summary>
    public IReadOnlyList<string> Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        foreach (var (method, rows) in Methods.Where(m => m.Value.Count > 0))
        {
            var path = Path.Combine(folder, method + ".predictions.parquet");
            PredictionsFile.Write(path, rows);
            paths.Add(path);
        }
        return paths;
    }

    private static (string Task, long Subject, DateTime Time) Key(Prediction p) => (p.Task, p.SubjectId, p.PredictionTime);
}
