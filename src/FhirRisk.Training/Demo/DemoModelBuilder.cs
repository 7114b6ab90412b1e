using System.Diagnostics;
using System.Globalization;
using FhirRisk.Core.Statistics;
using FhirRisk.Meds;
using FhirRisk.Meds.Ingestion;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Training.Linear;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Baselines;
using FhirRisk.Training.Evaluation;
using FhirRisk.Training.Finetuning;
using FhirRisk.Training.Pretraining;
using FhirRisk.Training.Probes;

namespace FhirRisk.Training.Demo;

/// <summary>
/// <c>fhirrisk demo-model</c> (issue 6 item 6, docs/demo-model.md) as one in-process pipeline: simulate a cohort, ingest
/// it to MEDS, fit the tokenizer and tokenize, label the tasks, pretrain, finetune the heads, fit the embedding probe and
/// the count baseline, and evaluate every method (with the simulator's oracle) on the held-out split. The same library
/// calls as the individual verbs, in order; intermediates go to the work folder, and the output folder receives only the
/// self-contained model directory (<see cref="DemoModelLayout"/>).
/// </summary>
public static class DemoModelBuilder
{
    /// <summary>Runs <paramref name="recipe"/> and writes the demo model to <paramref name="outputFolder"/>.</summary>
    /// <param name="recipe">The settings (<see cref="DemoRecipe.Full"/>, <see cref="DemoRecipe.Quick"/> or a variant).</param>
    /// <param name="cohortSource">Writes the simulated cohort (the host's simulator).</param>
    /// <param name="outputFolder">New or empty; receives the model directory, report/, recipe.json and acceptance.md.</param>
    /// <param name="workFolder">New or empty; receives the intermediates (cohort, MEDS, tokens, labels, checkpoints, predictions).</param>
    /// <param name="progress">Told the stage and how far it is.</param>
    /// <param name="cancellationToken">Stops between steps; the output folder is then left incomplete.</param>
    /// <exception cref="TrainingException">A stage failed (code and hint in the message); <see cref="DemoErrorCodes"/>.</exception>
    public static DemoModelResult Run(DemoRecipe recipe, IDemoCohortSource cohortSource, string outputFolder, string workFolder,
        IProgress<DemoProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(cohortSource);
        recipe = recipe.Resolve();
        (outputFolder, workFolder) = (Path.GetFullPath(outputFolder), Path.GetFullPath(workFolder));
        RequireEmpty(outputFolder, "--out");
        RequireEmpty(workFolder, "--work");
        var work = new WorkFolders(workFolder);
        var stages = new StageClock(progress);

        var cohort = stages.Run(DemoStages.Simulate, report =>
            (Simulate(cohortSource, work, recipe.Patients, recipe.Seed, report, cancellationToken), $"{recipe.Patients:N0} patients"));

        var ingestion = stages.Run(DemoStages.Ingest, report =>
        {
            var summary = Ingest(cohort, work, report, cancellationToken);
            return (summary, $"{summary.Events:N0} events of {summary.Subjects:N0} subjects, {summary.Quarantined:N0} quarantined");
        });
        var dataset = MedsDatasetReader.Open(work.Meds);

        var (tokenizer, tokens) = stages.Run(DemoStages.Tokenize, report =>
        {
            var fitted = TimelineTokenizer.Fit(dataset, recipe.Tokenizer);
            var summary = Tokenize(fitted, dataset, work, recipe.Threads, report, cancellationToken);
            return ((fitted, summary), $"{fitted.Vocabulary.Count:N0} tokens in the vocabulary; {summary.Tokens:N0} tokens in {summary.Shards.Count} shards");
        });

        stages.Run(DemoStages.Labels, report =>
        {
            var summaries = Label(dataset, work, report, cancellationToken);
            return (summaries, string.Join(", ", summaries.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Task} {s.Labeled:N0} ({s.Positives:N0}+)"))));
        });
        RequireHeldOutPoints(dataset, work.Labels, recipe.Patients);

        var (_, pretrainLosses) = stages.Run(DemoStages.Pretrain,
            report => Pretrain(recipe.Pretraining, tokenizer, work.Tokens, work.HeadsBackbone(recipe), report, cancellationToken));
        if (recipe.Generative is { } generative)
            stages.Run(DemoStages.PretrainGenerative, report => Pretrain(generative, tokenizer, work.Tokens, work.Pretrained, report, cancellationToken));

        var finetuning = stages.Run(DemoStages.Finetune, report => Finetune(recipe, tokenizer, work, report, cancellationToken));
        var tasks = finetuning.Heads.Tasks;
        var probeLabels = ProbeLabels(work.Labels, tasks, finetuning.HeldOut, recipe);

        var probe = stages.Run(DemoStages.Probe, report =>
        {
            var featurizer = new EmbeddingFeaturizer(ProbeModel.Load(work.Pretrained), new EmbeddingSettings { Compute = new ComputeOptions(recipe.Threads) });
            var result = ProbeRun.Run(dataset, probeLabels, featurizer, ProbeSettingsOf(recipe), ProbeRelay(report), cancellationToken);
            return (result, $"{result.Points:N0} points, {result.FeatureColumns} features, {result.Fits.Count:N0} fits");
        });

        var counts = stages.Run(DemoStages.CountBaseline, report =>
        {
            var vocabulary = CodeCountVocabulary.Fit(dataset, new CodeCountSettings { FitSplits = [MedsSchema.TrainSplit] }, cancellationToken);
            var result = ProbeRun.Run(dataset, probeLabels, new CodeCountFeaturizer(vocabulary), ProbeSettingsOf(recipe), ProbeRelay(report), cancellationToken);
            return (result, $"{result.Points:N0} points, {result.FeatureColumns:N0} features, {result.Fits.Count:N0} fits");
        });

        var (aligned, evaluated) = stages.Run(DemoStages.Evaluate, report =>
        {
            var alignment = HeldOutAlignment.Align(OraclePredictions.Match(cohort.TruthFile, finetuning.HeldOut), finetuning.HeldOut, probe.Predictions, counts.Predictions);
            var result = Evaluate(alignment, work, recipe, report, cancellationToken);
            return ((alignment, result), $"{result.Runs.Count} runs, {result.KShotCurves.Count} k-shot curves, {alignment.Points:N0} held-out points");
        });

        (DemoValidation Summary, EvaluationResult Evaluation)? validation = recipe.ValidationPatients > 0
            ? stages.Run(DemoStages.Validate, report => Validate(recipe, cohortSource, tokenizer, finetuning.Result, work.Validation, report, cancellationToken))
            : null;

        var data = new DemoDataCounts(recipe.Patients, ingestion.Events, tokenizer.Vocabulary.Count, SplitTokens(tokens, MedsSchema.TrainSplit),
            SplitTokens(tokens, MedsSchema.TuningSplit), aligned.Points, aligned.Dropped, aligned.OracleMismatches);
        var losses = pretrainLosses with { FinetuneFirst = finetuning.Result.FirstLoss, FinetuneLast = finetuning.Result.LastLoss };
        var taskResults = DemoAcceptance.Tasks(evaluated, cohort.OracleAuroc);
        var macro = DemoAcceptance.Macro(evaluated);
        var partial = new DemoModelResult(outputFolder, recipe, stages.Times, data, losses, taskResults, macro, 0) { Validation = validation?.Summary };
        var bytes = DemoModelLayout.Assemble(outputFolder, work, evaluated, validation?.Evaluation, partial);
        return partial with { OutputBytes = bytes };
    }

    private static ((PretrainingResult Result, DemoLosses Losses), string Summary) Pretrain(PretrainingSettings settings, TimelineTokenizer tokenizer,
        string tokens, string output, Action<double, double, string> report, CancellationToken cancellationToken)
    {
        using var trainer = Pretrainer.Start(tokenizer, tokens, output, settings);
        var evals = new List<double>();
        var result = trainer.Run(new Relay<PretrainingProgress>(p =>
        {
            if (p.Metrics.EvalLoss is { } eval)
                evals.Add(eval);
            report(p.Step, p.Steps, string.Create(CultureInfo.InvariantCulture, $"step {p.Step}/{p.Steps}: loss {p.Metrics.Loss:0.000}, {p.TokensPerSecond:N0} tokens/s"));
        }), cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        var losses = new DemoLosses(result.FirstLoss, result.LastLoss, evals.Count > 0 ? evals[0] : null, evals.Count > 0 ? evals[^1] : null,
            result.BestEvalLoss, result.TokensPerSecond, null, null);
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{result.Step} steps, loss {result.FirstLoss:0.000} -> {result.LastLoss:0.000}, tuning {losses.EvalFirst:0.000} -> {losses.EvalLast:0.000}, {result.TokensPerSecond:N0} tokens/s");
        return ((result, losses), summary);
    }

    private static (FinetunedRun Run, string Summary) Finetune(DemoRecipe recipe, TimelineTokenizer tokenizer, WorkFolders work,
        Action<double, double, string> report, CancellationToken cancellationToken)
    {
        var pretrained = GptCheckpoint.Load(work.HeadsBackbone(recipe));
        var settings = recipe.Finetuning;
        var loaded = FinetuningDataset.Load(tokenizer, work.Tokens, work.Labels, null, settings.ContextFor(pretrained.Config.ContextLength), settings.HistoryCodes);
        var heads = MultitaskFinetuner.NewHeads(pretrained, tokenizer, loaded.Data, settings);
        var result = MultitaskFinetuner.Run(pretrained, heads, loaded.Data, settings,
            new Relay<FinetuningProgress>(p => report(p.Step, p.Steps, string.Create(CultureInfo.InvariantCulture, $"step {p.Step}/{p.Steps}: loss {p.Loss:0.000}"))),
            cancellationToken: cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        FinetunedModel.Save(work.Finetuned, tokenizer, result, settings, TaskParametersFile.Read(work.Labels) ?? TaskParameters.Default);
        report(0, 1, $"scoring {loaded.HeldOut.Count:N0} held-out points");
        var heldOut = HeadPredictor.Predict(result.Model, result.Heads, loaded.HeldOut, settings.BatchSize, new ComputeOptions(recipe.Threads), cancellationToken);
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{result.Heads.Count} tasks, {loaded.Data.Train.Count:N0} train / {loaded.Data.Tuning.Count:N0} tuning / {loaded.HeldOut.Count:N0} held-out points, loss {result.FirstLoss:0.000} -> {result.LastLoss:0.000}");
        return (new FinetunedRun(result, result.Heads, heldOut), summary);
    }

    /// <summary>
    /// The validate stage: simulates an independent cohort with <see cref="DemoRecipe.ValidationSeed"/>, ingests it,
    /// tokenizes it with the fitted tokenizer, labels it, scores every labelled point of every split with the finished
    /// heads and evaluates them beside the simulator's truth. Nothing fitted looks at this cohort.
    /// </summary>
    private static ((DemoValidation Summary, EvaluationResult Evaluation), string Summary) Validate(DemoRecipe recipe, IDemoCohortSource cohortSource,
        TimelineTokenizer tokenizer, FinetuningResult finetuned, WorkFolders folders, Action<double, double, string> report, CancellationToken cancellationToken)
    {
        // Sub-steps share the bar: simulate, ingest, tokenize and label (0–0.4), score (0.4–0.9), evaluate (0.9–1).
        void Part(double from, double to, double done, double total, string detail) => report(from + (to - from) * done / Math.Max(1, total), 1, detail);
        Action<double, double, string> Sub(string name, double from, double to) => (done, total, detail) => Part(from, to, done, total, $"{name}: {detail}");
        var (patients, seed) = (recipe.ValidationPatients, recipe.ValidationSeed);
        var cohort = Simulate(cohortSource, folders, patients, seed, Sub("simulate", 0, 0.15), cancellationToken);
        var ingestion = Ingest(cohort, folders, Sub("ingest", 0.15, 0.3), cancellationToken);
        var dataset = MedsDatasetReader.Open(folders.Meds);
        Tokenize(tokenizer, dataset, folders, recipe.Threads, Sub("tokenize", 0.3, 0.35), cancellationToken);
        Label(dataset, folders, Sub("labels", 0.35, 0.4), cancellationToken);

        var heads = finetuned.Heads;
        var points = FinetuningDataset.LoadForScoring(tokenizer, folders.Tokens, folders.Labels, heads.Tasks, heads.Tasks,
            recipe.Finetuning.ContextFor(finetuned.Model.Config.ContextLength), splits: null, heads.HistoryCodes).Points;
        Part(0.4, 0.9, 0, 1, $"scoring {points.Count:N0} points");
        var scored = HeadPredictor.Predict(finetuned.Model, heads, points, recipe.Finetuning.BatchSize, new ComputeOptions(recipe.Threads), cancellationToken);
        var alignment = HeldOutAlignment.Align(OraclePredictions.Match(cohort.TruthFile, scored), scored, [], []);
        var evaluation = Evaluate(alignment, folders, recipe, Sub($"evaluating {alignment.Points:N0} points", 0.9, 1), cancellationToken);
        var summary = new DemoValidation(patients, seed, ingestion.Events, alignment.Points, alignment.Dropped, alignment.OracleMismatches,
            DemoAcceptance.Tasks(evaluation, cohort.OracleAuroc));
        return ((summary, evaluation), $"{patients:N0} new patients (seed {seed}), {ingestion.Events:N0} events, {alignment.Points:N0} (task, point) pairs scored by the heads and the oracle");
    }

    /// <summary>
    /// Every method is evaluated on the held-out split's labelled points, so a cohort whose held-out split has none (a few
    /// patients: the split is drawn per subject) cannot finish; this says so before the expensive stages.
    /// </summary>
    private static void RequireHeldOutPoints(MedsDatasetReader dataset, string labels, int patients)
    {
        var heldOut = TaskCatalog.Create()
            .Where(t => TaskLabelSet.FindFolder(labels, t.Name) is not null)
            .SelectMany(t => TaskLabelSet.Read(labels, t.Name).Labels)
            .Count(l => dataset.SubjectSplits.TryGetValue(l.SubjectId, out var split) && split == MedsSchema.HeldOutSplit);
        if (heldOut == 0)
            throw new TrainingException(DemoErrorCodes.TooFewPatients, labels, string.Create(CultureInfo.InvariantCulture,
                $"the held-out split of the {patients:N0} simulated patients has no labelled point, so no method could be evaluated. Hint: pass --patients 100 or more."));
    }

    /// <summary>Simulates <paramref name="patients"/> patients into <see cref="WorkFolders.Cohort"/>.</summary>
    private static SimulatedCohort Simulate(IDemoCohortSource source, WorkFolders folders, int patients, ulong seed,
        Action<double, double, string> report, CancellationToken cancellationToken) =>
        source.Write(folders.Cohort, patients, seed,
            new Relay<(int Done, int Total)>(p => report(p.Done, p.Total, $"{p.Done:N0}/{p.Total:N0} patients")), cancellationToken);

    /// <summary>Ingests the simulated export into <see cref="WorkFolders.Meds"/>; an export that yields no event is a stage failure.</summary>
    private static FhirIngestionSummary Ingest(SimulatedCohort cohort, WorkFolders folders, Action<double, double, string> report, CancellationToken cancellationToken)
    {
        var settings = new FhirIngestionSettings { OutputFolder = folders.Meds, TempFolder = folders.Spool };
        var summary = new FhirIngestion(settings).Run([cohort.Folder],
            new Relay<FhirIngestionProgress>(p => report(p.BytesRead, Math.Max(1, p.TotalBytes), $"{p.Phase}: {p.Resources:N0} resources")), cancellationToken);
        if (summary.NothingIngested)
            throw new TrainingException(DemoErrorCodes.StageFailed, cohort.Folder, "ingestion produced no MEDS event. Hint: check the simulated export (fhirrisk ingest prints its issues).");
        return summary;
    }

    /// <summary>Tokenizes every split of <paramref name="dataset"/> into <see cref="WorkFolders.Tokens"/>.</summary>
    private static TokenizationSummary Tokenize(TimelineTokenizer tokenizer, MedsDatasetReader dataset, WorkFolders folders, int threads,
        Action<double, double, string> report, CancellationToken cancellationToken) =>
        DatasetTokenization.Run(tokenizer, dataset, folders.Tokens, null, threads,
            new Relay<TokenizationProgress>(p => report(p.ShardsDone, Math.Max(1, p.Shards), $"{p.ShardsDone}/{p.Shards} shards: {p.Tokens:N0} tokens")), cancellationToken);

    /// <summary>Labels every catalog task into <see cref="WorkFolders.Labels"/>.</summary>
    private static IReadOnlyList<TaskLabelSummary> Label(MedsDatasetReader dataset, WorkFolders folders, Action<double, double, string> report, CancellationToken cancellationToken)
    {
        var summaries = TaskLabelExtraction.Run(dataset, TaskCatalog.Create(), folders.Labels,
            new Relay<TaskLabelProgress>(p => report(p.ShardsDone, Math.Max(1, p.Shards), $"shard {p.ShardsDone}/{p.Shards}: {p.Subjects:N0} subjects")), cancellationToken: cancellationToken);
        TaskParametersFile.Write(folders.Labels, TaskParameters.Default);
        return summaries;
    }

    /// <summary>Writes the aligned predictions to <see cref="WorkFolders.Predictions"/> and evaluates them with the recipe's
    /// bootstrap, comparing every method with the oracle and the record reference.</summary>
    private static EvaluationResult Evaluate(HeldOutAlignment alignment, WorkFolders folders, DemoRecipe recipe,
        Action<double, double, string> report, CancellationToken cancellationToken) =>
        PredictionEvaluator.Evaluate(PredictionSet.Load(alignment.Write(folders.Predictions)),
            new BootstrapSettings { Replicates = recipe.BootstrapReplicates, Seed = recipe.Seed },
            new Relay<EvaluationProgress>(p => report(p.RunsDone, Math.Max(1, p.Runs), $"run {p.RunsDone}/{p.Runs}")),
            [OraclePredictions.MethodName, OraclePredictions.RecordMethodName], cancellationToken);

    private static ProbeSettings ProbeSettingsOf(DemoRecipe recipe) => new()
    {
        FewShot = new FewShotSettings { Shots = recipe.Shots, Replicates = recipe.ShotReplicates, Seed = recipe.Seed },
        Search = RegularizationSearchSettings.Default with { Seed = recipe.Seed, Parallelism = recipe.Threads },
    };

    /// <summary>The probes' labels: every held-out point, and the points of <see cref="DemoRecipe.ProbeSubjectFraction"/> of
    /// the other subjects (a SplitMix64 hash of subject and seed decides, so the choice is stable and seeded).</summary>
    private static TaskLabelSet[] ProbeLabels(string labels, IReadOnlyList<string> tasks, IReadOnlyList<Prediction> heldOut, DemoRecipe recipe)
    {
        var sets = tasks.Select(t => TaskLabelSet.Read(labels, t)).ToArray();
        if (recipe.ProbeSubjectFraction >= 1)
            return sets;
        var test = heldOut.Select(p => p.SubjectId).ToHashSet();
        var cut = (ulong)(recipe.ProbeSubjectFraction * ulong.MaxValue);
        bool Keep(long subject) => test.Contains(subject) || Mix((ulong)subject ^ recipe.Seed) < cut;
        return [.. sets.Select(s => s with { Labels = [.. s.Labels.Where(l => Keep(l.SubjectId))] })];
    }

    /// <summary>SplitMix64's finalizer: a well-mixed 64-bit hash.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static Relay<ProbeProgress> ProbeRelay(Action<double, double, string> report) =>
        new(p => report(p.Done, Math.Max(1, p.Total), string.Create(CultureInfo.InvariantCulture, $"{p.Stage} {p.Done:N0}/{p.Total:N0}")));

    private static long SplitTokens(TokenizationSummary summary, string split) => summary.Shards.Where(s => s.Split == split).Sum(s => s.Tokens);

    private static void RequireEmpty(string folder, string option)
    {
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
            throw new TrainingException(DemoErrorCodes.FolderNotEmpty, folder, $"the folder is not empty. Hint: pass a new or empty {option} folder; a demo model is never written over another.");
    }

    private sealed record FinetunedRun(FinetuningResult Result, TaskHeads Heads, IReadOnlyList<Prediction> HeldOut);

    /// <summary>Times each stage and forwards its progress with the stage's name.</summary>
    private sealed class StageClock(IProgress<DemoProgress>? progress)
    {
        private readonly List<DemoStageTime> _times = [];

        public IReadOnlyList<DemoStageTime> Times => _times;

        public T Run<T>(string stage, Func<Action<double, double, string>, (T Value, string Summary)> body)
        {
            var clock = Stopwatch.StartNew();
            progress?.Report(new DemoProgress(stage, 0, 1, "starting"));
            var (value, summary) = body((done, total, detail) => progress?.Report(new DemoProgress(stage, done, total, detail)));
            _times.Add(new DemoStageTime(stage, clock.Elapsed, summary));
            progress?.Report(new DemoProgress(stage, 1, 1, summary));
            return value;
        }
    }

    /// <summary>A synchronous <see cref="IProgress{T}"/> (Progress&lt;T&gt; would post to a synchronization context).</summary>
    private sealed class Relay<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
