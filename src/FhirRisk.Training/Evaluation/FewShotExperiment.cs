namespace FhirRisk.Training.Evaluation;

/// <summary>Runs done and to do in a <see cref="FewShotExperiment"/>.</summary>
public readonly record struct FewShotProgress(int RunsDone, int Runs, string LastRun);

/// <summary>
/// The k-shot curves of issue 6 §5: every learner trained on every (task, k, replicate) sample and the all-data pool,
/// each scoring the whole test split. The result is predictions rows (with <c>k_shot</c> and <c>replicate</c> set for
/// the few-shot runs) for <see cref="PredictionsFile"/>, so the curves are evaluated like any other predictions.
/// </summary>
public static class FewShotExperiment
{
    public static IReadOnlyList<Prediction> Run(
        IReadOnlyList<FewShotTask> tasks,
        IReadOnlyList<IFewShotLearner> learners,
        FewShotSettings? settings = null,
        IProgress<FewShotProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(learners);
        settings ??= new FewShotSettings();
        settings.Validate();
        var runs = tasks.Count * learners.Count * (settings.Shots.Count * settings.Replicates + (settings.IncludeAll ? 1 : 0));
        var done = 0;
        var rows = new List<Prediction>();
        foreach (var task in tasks)
        {
            foreach (var sample in Samples(task, settings))
            {
                foreach (var learner in learners)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var probabilities = learner.FitAndPredict(sample, task.Test, cancellationToken);
                    AddRows(rows, task, sample, learner.Method, probabilities);
                    progress?.Report(new FewShotProgress(++done, runs, $"{task.Name}/{learner.Method}/k={sample.KShot?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "all"}"));
                }
            }
        }
        return rows;
    }

    /// <summary>The samples of one task: every (replicate, k), replicate-major, then the all-data run.</summary>
    public static IEnumerable<FewShotSample> Samples(FewShotTask task, FewShotSettings settings)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Shots.Count > 0)
        {
            var maxShots = settings.Shots.Max();
            for (var replicate = 0; replicate < settings.Replicates; replicate++)
            {
                var train = new FewShotSampler(task.Train, maxShots, settings.Seed, FewShotSampler.StreamOf(task.Name, "train", replicate), $"{task.Name} train");
                var tuning = task.Tuning.Count == 0 ? null
                    : new FewShotSampler(task.Tuning, maxShots, settings.Seed, FewShotSampler.StreamOf(task.Name, "tuning", replicate), $"{task.Name} tuning");
                foreach (var k in settings.Shots.Order())
                    yield return new FewShotSample(task.Name, k, replicate, train.Take(k), tuning?.Take(k) ?? []);
            }
        }
        if (settings.IncludeAll)
            yield return new FewShotSample(task.Name, null, 0, task.Train, task.Tuning);
    }

    private static void AddRows(List<Prediction> rows, FewShotTask task, FewShotSample sample, string method, IReadOnlyList<double> probabilities)
    {
        if (probabilities.Count != task.Test.Count)
            throw new InvalidOperationException($"Learner '{method}' returned {probabilities.Count} probabilities for {task.Test.Count} test points of {task.Name}.");
        for (var i = 0; i < probabilities.Count; i++)
        {
            var point = task.Test[i];
            var row = new Prediction(point.SubjectId, point.PredictionTime, task.Name, method, probabilities[i], point.Label,
                sample.KShot, sample.KShot is null ? null : sample.Replicate);
            PredictionsFile.CheckRow(row, $"learner '{method}'");
            rows.Add(row);
        }
    }
}
