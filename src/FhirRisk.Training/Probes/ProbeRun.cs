using System.Globalization;
using FhirRisk.Meds;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Probes;

/// <summary>
/// A linear probe from labels to predictions (docs/probes.md): the labeled points of every task are featurized once —
/// tasks sharing a prediction point share its row — streaming the dataset's subjects through an
/// <see cref="IPointFeaturizer"/>; then each task's train and tuning points fit an L2 logistic regression (C chosen by
/// cross-validation) in each training condition of <see cref="ProbeSettings.FewShot"/>, which scores the test split.
/// </summary>
public static class ProbeRun
{
    public static ProbeResult Run(
        MedsDatasetReader dataset,
        IReadOnlyList<TaskLabelSet> tasks,
        IPointFeaturizer featurizer,
        ProbeSettings? settings = null,
        IProgress<ProbeProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(featurizer);
        settings = (settings ?? ProbeSettings.Default).Validate();

        var wanted = WantedPoints(tasks);
        var (features, splits) = Featurize(dataset, wanted, featurizer, settings, progress, cancellationToken);
        var summaries = new List<ProbeTaskSummary>();
        var fewShotTasks = new List<FewShotTask>();
        foreach (var task in tasks)
        {
            var (summary, fewShotTask) = Partition(task, splits, settings);
            summaries.Add(summary);
            if (fewShotTask is not null)
                fewShotTasks.Add(fewShotTask);
        }
        if (tasks.Any(t => t.Labels.Count > 0) && summaries.All(s => s.Train.Points + s.Tuning.Points + s.Test.Points == 0))
        {
            throw new TrainingException(ProbeErrorCodes.NoLabels, dataset.Root,
                $"no labeled point belongs to a subject of the {settings.TrainSplit}, {settings.TuningSplit} or {settings.TestSplit} split. Hint: label this dataset with 'fhirrisk labels', or name its splits.");
        }

        var search = settings.Search with { Solver = settings.Search.Solver with { Scaling = featurizer.Scaling } };
        var learner = new LinearProbeLearner(featurizer.Method, features, search);
        var predictions = fewShotTasks.Count == 0 ? [] : FewShotExperiment.Run(fewShotTasks, [learner], settings.FewShot,
            progress is null ? null : new Progress(progress), cancellationToken);
        return new ProbeResult(featurizer.Method, features.Matrix.Columns, features.Matrix.Rows, summaries, learner.Fits, predictions);
    }

    /// <summary>Each subject's distinct prediction times over all tasks, ascending.</summary>
    private static Dictionary<long, SortedSet<DateTime>> WantedPoints(IReadOnlyList<TaskLabelSet> tasks)
    {
        var wanted = new Dictionary<long, SortedSet<DateTime>>();
        foreach (var label in tasks.SelectMany(t => t.Labels))
        {
            if (!wanted.TryGetValue(label.SubjectId, out var times))
                wanted[label.SubjectId] = times = [];
            times.Add(label.PredictionTime);
        }
        return wanted;
    }

    private static (PointFeatures Features, Dictionary<long, string> Splits) Featurize(MedsDatasetReader dataset, Dictionary<long, SortedSet<DateTime>> wanted,
        IPointFeaturizer featurizer, ProbeSettings settings, IProgress<ProbeProgress>? progress, CancellationToken cancellationToken)
    {
        var splitNames = new[] { settings.TrainSplit, settings.TuningSplit, settings.TestSplit }.Where(s => s.Length > 0).ToArray();
        var points = new List<(long Subject, DateTime Time)>();
        var splits = new Dictionary<long, string>();
        foreach (var subject in dataset.ReadSubjects(new MedsReadOptions { Splits = splitNames, Columns = featurizer.Columns }))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!wanted.TryGetValue(subject.SubjectId, out var times))
                continue;
            if (!splits.TryAdd(subject.SubjectId, subject.Split))
            {
                throw new TrainingException(ProbeErrorCodes.SplitSubject, dataset.Root,
                    $"subject {subject.SubjectId} has events in more than one shard. Hint: MEDS keeps each subject in one shard; run 'fhirrisk meds validate {dataset.Root}'.");
            }
            var ordered = times.ToArray();
            featurizer.Add(subject, ordered);
            points.AddRange(ordered.Select(t => (subject.SubjectId, t)));
            progress?.Report(new ProbeProgress("reading", splits.Count, wanted.Count));
        }
        return (new PointFeatures(featurizer.Build(progress, cancellationToken), points), splits);
    }

    private static (ProbeTaskSummary Summary, FewShotTask? Task) Partition(TaskLabelSet task, Dictionary<long, string> splits, ProbeSettings settings)
    {
        var (train, tuning, test) = (new List<LabeledPoint>(), new List<LabeledPoint>(), new List<LabeledPoint>());
        var unmatched = 0;
        foreach (var label in task.Labels)
        {
            var point = new LabeledPoint(label.SubjectId, label.PredictionTime, label.BooleanValue!.Value);
            // Only subjects of the three named splits were read (an empty tuning split name matches none).
            var split = splits.GetValueOrDefault(label.SubjectId);
            if (split is null)
                unmatched++;
            else
                (split == settings.TrainSplit ? train : split == settings.TestSplit ? test : tuning).Add(point);
        }

        var fitting = train.Concat(tuning).ToArray();
        var reason = fitting.Length == 0 ? $"no labeled point in {Pools(settings)}"
            : !fitting.Any(p => p.Label) ? $"no positive label in {Pools(settings)}"
            : !fitting.Any(p => !p.Label) ? $"no negative label in {Pools(settings)}"
            : test.Count == 0 ? $"no labeled point in {settings.TestSplit}"
            : null;
        var summary = new ProbeTaskSummary(task.Task, Count(train), Count(tuning), Count(test), unmatched, reason);
        // One training pool: a k-shot sample draws k per class from train and tuning together, and the learner chooses C
        // by cross-validation on it (a tuning split of one class, common in small data, would leave nothing to draw).
        return (summary, reason is null ? new FewShotTask(task.Task, fitting, [], test) : null);
    }

    private static string Pools(ProbeSettings settings) =>
        settings.TuningSplit.Length == 0 ? settings.TrainSplit : string.Create(CultureInfo.InvariantCulture, $"{settings.TrainSplit} or {settings.TuningSplit}");

    private static PointCount Count(List<LabeledPoint> points) => new(points.Count, points.Count(p => p.Label));

    private sealed class Progress(IProgress<ProbeProgress> inner) : IProgress<FewShotProgress>
    {
        public void Report(FewShotProgress value) => inner.Report(new ProbeProgress("fitting", value.RunsDone, value.Runs));
    }
}
