using FhirRisk.Core;

namespace FhirRisk.Training.Evaluation;

/// <summary>
/// The predictions of one evaluation, from one or more files, grouped into runs and checked for consistency: within a
/// task every run must cover the same prediction points with the same labels, or the methods would be compared on
/// different test sets (the usual cause: files made from different label extractions or splits).
/// </summary>
public sealed class PredictionSet
{
    private PredictionSet(IReadOnlyList<string> sources, IReadOnlyDictionary<PredictionRun, Prediction[]> runs,
        IReadOnlyDictionary<string, int> leftOutPoints)
    {
        Sources = sources;
        Runs = runs;
        LeftOutPoints = leftOutPoints;
    }

    /// <summary>Per task, the points some run predicted but not every run, left out by <c>commonPoints</c>; empty
    /// otherwise.</summary>
    public IReadOnlyDictionary<string, int> LeftOutPoints { get; }

    /// <summary>The files (or other sources) the rows came from, in the order given.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>The rows of every run, in file and row order.</summary>
    public IReadOnlyDictionary<PredictionRun, Prediction[]> Runs { get; }

    /// <summary>Tasks in order of first appearance.</summary>
    public IReadOnlyList<string> Tasks => [.. Runs.Keys.Select(r => r.Task).Distinct()];

    /// <summary>Reads and checks predictions files.</summary>
    /// <param name="paths">The files.</param>
    /// <param name="commonPoints">Keep, per task, only the points every run predicted (a run sampled with
    /// <c>predict --limit</c> beside one of every point), counted in <see cref="LeftOutPoints"/>; otherwise runs that
    /// cover different points are an error.</param>
    public static PredictionSet Load(IReadOnlyList<string> paths, bool commonPoints = false) =>
        Create([.. paths.Select(p => (Path.GetFileName(p), PredictionsFile.Read(p)))], commonPoints);

    /// <summary>Groups and checks rows already in memory; each source names where its rows came from.</summary>
    /// <param name="sources">The rows, by where they came from.</param>
    /// <param name="commonPoints">As for <see cref="Load"/>.</param>
    public static PredictionSet Create(IReadOnlyList<(string Source, IReadOnlyList<Prediction> Rows)> sources, bool commonPoints = false)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var runs = new Dictionary<PredictionRun, List<Prediction>>();
        var runSources = new Dictionary<PredictionRun, string>();
        // Per task: each point's label and where it was first seen (source index, row), formatted only for an error;
        // per run, where it predicted each point, so that a repeat names both rows (review s22 evaluate L8).
        var points = new Dictionary<string, Dictionary<(long Subject, DateTime Time), (bool Label, int Source, int Row)>>(StringComparer.Ordinal);
        var runPoints = new Dictionary<PredictionRun, Dictionary<(long Subject, DateTime Time), (int Source, int Row)>>();
        for (var source = 0; source < sources.Count; source++)
        {
            var rows = sources[source].Rows;
            // An empty file among others would drop the runs it should hold from the report without a word (review
            // s22 evaluate L2).
            if (rows.Count == 0)
            {
                throw Fail(EvaluationIssueCodes.Empty, sources[source].Source, "The file holds no rows, so the runs it should hold would be missing from the report.",
                    "check that the file comes from a run that predicted something, or leave it out.");
            }
            for (var row = 0; row < rows.Count; row++)
            {
                var prediction = rows[row];
                var run = prediction.Run;
                if (!runs.TryGetValue(run, out var list))
                {
                    runs.Add(run, list = []);
                    runSources.Add(run, sources[source].Source);
                    runPoints.Add(run, []);
                }
                list.Add(prediction);
                if (!points.TryGetValue(prediction.Task, out var taskPoints))
                    points.Add(prediction.Task, taskPoints = []);
                var point = (prediction.SubjectId, prediction.PredictionTime);
                if (!taskPoints.TryGetValue(point, out var first))
                {
                    taskPoints.Add(point, (prediction.Label, source, row));
                }
                else if (first.Label != prediction.Label)
                {
                    throw Fail(EvaluationIssueCodes.LabelConflict, $"{sources[source].Source}:row {row}",
                        $"Subject {prediction.SubjectId} at {prediction.PredictionTime:O} is labeled {prediction.Label} for {prediction.Task} here but {first.Label} at {sources[first.Source].Source}:row {first.Row}.",
                        "make every predictions file from the same label files (fhirrisk labels) and split.");
                }
                if (!runPoints[run].TryAdd(point, (source, row)))
                {
                    var earlier = runPoints[run][point];
                    throw Fail(EvaluationIssueCodes.DuplicateRow, $"{sources[source].Source}:row {row}",
                        $"{run} predicts subject {prediction.SubjectId} at {prediction.PredictionTime:O} here and at {sources[earlier.Source].Source}:row {earlier.Row}.",
                        "give each predictions file once, and write each (task, method, k, replicate) run to one file.");
                }
            }
        }
        if (points.Count == 0)
            throw Fail(EvaluationIssueCodes.Empty, "", "No predictions files were given.", "pass at least one predictions file.");

        var frozen = runs.ToDictionary(r => r.Key, r => r.Value.ToArray());
        var pointsPerTask = points.ToDictionary(p => p.Key, p => p.Value.Count, StringComparer.Ordinal);
        var leftOut = new Dictionary<string, int>(StringComparer.Ordinal);
        if (commonPoints)
        {
            (frozen, leftOut) = KeepCommonPoints(frozen, runSources, pointsPerTask);
            foreach (var (task, count) in leftOut)
                pointsPerTask[task] -= count;
        }
        foreach (var (run, rows) in frozen)
            CheckCoverage(run, rows, runSources[run], pointsPerTask[run.Task]);
        return new PredictionSet([.. sources.Select(s => s.Source)], frozen, leftOut);
    }

    /// <summary>Each run's rows at the points every run of its task predicted, and per task how many points that left
    /// out (tasks that lost none are not listed).</summary>
    private static (Dictionary<PredictionRun, Prediction[]> Runs, Dictionary<string, int> LeftOut) KeepCommonPoints(
        Dictionary<PredictionRun, Prediction[]> runs, Dictionary<PredictionRun, string> runSources, Dictionary<string, int> pointsPerTask)
    {
        var kept = new Dictionary<PredictionRun, Prediction[]>();
        var leftOut = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var task in runs.Keys.Select(r => r.Task).Distinct())
        {
            var taskRuns = runs.Where(r => r.Key.Task == task).ToArray();
            var common = taskRuns.Select(r => r.Value.Select(p => (p.SubjectId, p.PredictionTime)).ToHashSet())
                .Aggregate((a, b) =>
                {
                    a.IntersectWith(b);
                    return a;
                });
            if (common.Count == 0)
            {
                throw Fail(EvaluationIssueCodes.PointMismatch, string.Join(", ", taskRuns.Select(r => runSources[r.Key]).Distinct()),
                    $"No prediction point of {task} is predicted by all of its {taskRuns.Length} run(s), so there is nothing to compare them on.",
                    "evaluate files made from the same label files and split.");
            }
            foreach (var (run, rows) in taskRuns)
                kept.Add(run, [.. rows.Where(p => common.Contains((p.SubjectId, p.PredictionTime)))]);
            if (pointsPerTask[task] > common.Count)
                leftOut.Add(task, pointsPerTask[task] - common.Count);
        }
        return (kept, leftOut);
    }

    /// <summary>A run must predict each point of its task: none missing (a repeat was refused as it was read).</summary>
    private static void CheckCoverage(PredictionRun run, Prediction[] rows, string source, int taskPoints)
    {
        if (rows.Length != taskPoints)
            throw Fail(EvaluationIssueCodes.PointMismatch, source,
                $"{run} covers {rows.Length:N0} of the {taskPoints:N0} prediction points that the inputs hold for {run.Task}.",
                "evaluate every method on the same test split and label files (files from different splits cannot be compared); where one run scored a sample of the points ('predict --limit'), pass --common-points to compare every method on the points they all scored.");
    }

    private static EvaluationInputException Fail(string code, string path, string message, string hint) =>
        new(Issue.Error(code, path, message), hint);
}
