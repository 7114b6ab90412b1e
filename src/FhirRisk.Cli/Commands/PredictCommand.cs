using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Inference;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Inference.Scoring;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Parquet;
using FhirRisk.Training;
using FhirRisk.Training.Demo;
using FhirRisk.Training.Evaluation;
using FhirRisk.Training.Finetuning;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk predict --method rollouts|heads --model &lt;dir&gt; --tokens &lt;dir&gt; --labels &lt;dir&gt; --out &lt;dir&gt;</c>
/// (issue 6 item 5, issue 7; docs/inference.md "Rollout AUROC", docs/finetuning.md "Scoring any dataset"): zero-shot
/// rollout risks for the labelled points of one task, or the finetuned heads' calibrated probabilities for one task or all
/// of them, in one split or all, written as a predictions file (method <c>rollouts</c> or <c>heads</c>) for
/// <c>fhirrisk evaluate</c>; with <c>--truth</c> the simulator's oracle for the same points beside it. Exit 0 on success,
/// 1 when the model, tokens or labels cannot be read, 2 on bad arguments.
/// </summary>
internal static class PredictCommand
{
    public const string RolloutsFile = "rollouts.predictions.parquet";
    public const string HazardFile = "rollouts_hazard.predictions.parquet";

    /// <summary>The method name of the rollouts' hazard estimate in predictions files.</summary>
    public const string HazardMethod = "rollouts_hazard";
    public const string HeadsFile = "heads.predictions.parquet";
    public const string OracleFile = "oracle.predictions.parquet";
    public const string SampledOracleFile = "oracle_sampled.predictions.parquet";
    public const string ObservableOracleFile = "oracle_observable.predictions.parquet";
    public const string RecordOracleFile = "oracle_record.predictions.parquet";
    public const string SampledRecordFile = "oracle_record_sampled.predictions.parquet";

    /// <summary>The <c>--task</c> of <c>--method heads</c> that scores every task the heads cover.</summary>
    public const string AllTasks = "all";

    // Points per forward pass of the heads: the finetuner's batch size, small enough for any context length on a CPU.
    private const int HeadsBatchSize = 16;

    public static Command Create()
    {
        var method = new Option<string>("--method") { Description = "How to predict: 'rollouts' (zero-shot, ETHOS) or 'heads' (finetuned multitask heads).", DefaultValueFactory = _ => "rollouts" };
        var model = new Option<DirectoryInfo>("--model") { Description = "The model directory: a pretrained one, or a finetuned one with heads.json (heads need it; its rollouts run on the pretrained/ beside the heads when there is one).", Required = true };
        var tokens = new Option<DirectoryInfo>("--tokens") { Description = "Token shards of the dataset, written with the model's tokenizer ('fhirrisk tokenize').", Required = true };
        var labels = new Option<DirectoryInfo>("--labels") { Description = "The output of 'fhirrisk labels' for the same dataset.", Required = true };
        var task = new Option<string>("--task") { Description = "The task to predict; with --method heads, 'all' for every task the heads cover.", DefaultValueFactory = _ => "hospital_mortality" };
        var split = new Option<string>("--split") { Description = "The split whose points are scored, or 'all' for every split (an external dataset).", DefaultValueFactory = _ => "held_out" };
        var limit = CommandOptions.IntAtLeast("--limit", minimum: 0, defaultValue: 0, "Rollouts: score a seeded sample of at most this many points; 0 for all.");
        var rollouts = CommandOptions.IntAtLeast("--rollouts", minimum: 1, defaultValue: 20, "Rollouts per point (a fixed count), unless --adaptive.");
        var adaptive = new Option<bool>("--adaptive") { Description = "Adaptive counts: from --rollouts up to 100, as many as a pilot of --pilot rollouts projects the hazard estimate's interval needs for a half-width of at most 0.05." };
        var pilot = CommandOptions.IntAtLeast("--pilot", minimum: 0, defaultValue: RolloutSettings.Default.PilotRollouts, "With --adaptive: rollouts run first to decide each count and then set aside, so the answer is unbiased; 0 stops sequentially instead (biased low at rare risks).");
        var seed = new Option<ulong>("--seed") { Description = "Generation seed; it also picks the --limit sample.", DefaultValueFactory = _ => 42 };
        var temperature = new Option<float>("--temperature") { Description = "Rollouts: sampling temperature (1: plain ancestral sampling, as ETHOS; below 1 sharper, more typical futures).", DefaultValueFactory = _ => 1f };
        var maxTokens = CommandOptions.IntAtLeast("--max-tokens", minimum: 1, defaultValue: 2048, "Tokens one rollout may generate before it is ambiguous.");
        var concurrent = CommandOptions.IntAtLeast("--concurrent", minimum: 1, defaultValue: 4, "Points queued at once (their rollouts share decode steps).");
        var slots = CommandOptions.IntAtLeast("--slots", minimum: 1, defaultValue: 64, "Sequences decoded at once (KV-cache slots).");
        var threads = CommandOptions.IntAtLeast("--threads", minimum: 1, defaultValue: Environment.ProcessorCount, "Compute threads.");
        var askedBefore = new Option<double>("--asked-before-hours") { Description = "Rollouts: ask each point this many hours before its prediction time, as the service would ask it then (readmission asked inside its stay waits for the stay's end); points the record already settles then are left out. 0: at the point.", DefaultValueFactory = _ => 0 };
        var truth = new Option<FileInfo?>("--truth") { Description = "The simulator's ground_truth.parquet: also write the oracle for the same points." };
        var name = new Option<string?>("--name") { Description = "The method name written in the predictions (default 'rollouts' and 'rollouts_hazard', or 'heads'), so that 'fhirrisk evaluate' can compare two models: rollouts get NAME and NAME_hazard, heads NAME, each in <method>.predictions.parquet." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for rollouts.predictions.parquet or heads.predictions.parquet (and oracle.predictions.parquet; for rollouts also oracle_sampled.predictions.parquet and, where the truth has the record reference, oracle_record_sampled.predictions.parquet).", Required = true };
        var command = new Command("predict", "Predict labelled points (zero-shot rollouts or finetuned heads) into a predictions file for 'fhirrisk evaluate'.")
        {
            method, model, tokens, labels, task, split, limit, rollouts, adaptive, pilot, seed, temperature, maxTokens, concurrent, slots, threads, askedBefore, truth, name, output,
        };
        command.SetAction((parsed, cancellationToken) =>
        {
            var hours = parsed.GetValue(askedBefore);
            if (!(hours >= 0) || !double.IsFinite(hours))
                return Task.FromResult(CommandOutput.Fail(parsed.InvocationConfiguration.Error, $"--asked-before-hours must be 0 or more (got {hours.ToString(CultureInfo.InvariantCulture)}).",
                    "pass how many hours before each point to ask it, or 0 to ask at the point.", ExitCodes.UsageError));
            var count = parsed.GetValue(rollouts);
            var settings = RolloutSettings.Default with
            {
                Seed = parsed.GetValue(seed),
                MinRollouts = count,
                MaxRollouts = parsed.GetValue(adaptive) ? Math.Max(count, RolloutSettings.Default.MaxRollouts) : count,
                PilotRollouts = parsed.GetValue(pilot),
                MaxNewTokens = parsed.GetValue(maxTokens),
                Sampling = RolloutSettings.Default.Sampling with { Temperature = parsed.GetValue(temperature) },
            };
            var request = new PredictRequest(parsed.GetRequiredValue(method), parsed.GetRequiredValue(model).FullName, parsed.GetRequiredValue(tokens).FullName,
                parsed.GetRequiredValue(labels).FullName, parsed.GetValue(truth)?.FullName, parsed.GetRequiredValue(output).FullName,
                new LabelledPointSelection(parsed.GetRequiredValue(task), parsed.GetRequiredValue(split), parsed.GetValue(limit) is > 0 and var l ? l : null, settings.Seed)
                {
                    AskedBefore = hours > 0 ? TimeSpan.FromHours(hours) : null,
                },
                settings, parsed.GetValue(concurrent), parsed.GetValue(slots), parsed.GetValue(threads), parsed.GetValue(name));
            return RunAsync(request, parsed.InvocationConfiguration, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(PredictRequest r, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        if (r.Method is not ("rollouts" or "heads"))
            return CommandOutput.Fail(io.Error, $"--method '{r.Method}' is not supported.", "use --method rollouts or --method heads.", ExitCodes.UsageError);
        if (!(r.Settings.Sampling.Temperature >= RolloutSettings.MinTemperature && float.IsFinite(r.Settings.Sampling.Temperature)))
            return CommandOutput.Fail(io.Error, string.Create(CultureInfo.InvariantCulture, $"--temperature must be at least {RolloutSettings.MinTemperature} (got {r.Settings.Sampling.Temperature})."),
                "use 1 for plain sampling, below 1 for sharper rollouts.", ExitCodes.UsageError);
        if (r.Name is { } chosen && (string.IsNullOrWhiteSpace(chosen) || chosen.StartsWith("oracle", StringComparison.Ordinal)))
            return CommandOutput.Fail(io.Error, $"--name '{chosen}' cannot name a model's predictions.", "choose a non-blank name that does not start with 'oracle' (the truth's methods).", ExitCodes.UsageError);
        if (r.Method == "heads" && r.Selection.Limit is not null)
            return CommandOutput.Fail(io.Error, "--limit samples rollout points; the heads score every point.", "leave --limit out with --method heads.", ExitCodes.UsageError);
        if (r.Method == "heads" && r.Selection.AskedBefore is not null)
            return CommandOutput.Fail(io.Error, "--asked-before-hours asks rollout points earlier; the heads read each point at its own time.", "leave --asked-before-hours out with --method heads.", ExitCodes.UsageError);
        foreach (var (folder, option) in new[] { (r.Model, "--model"), (r.Tokens, "--tokens"), (r.Labels, "--labels") })
        {
            if (!Directory.Exists(folder))
                return CommandOutput.Fail(io.Error, $"{option} folder '{folder}' does not exist.", $"pass an existing folder as {option}.", ExitCodes.UsageError);
        }
        if (r.Truth is { } truthFile && !File.Exists(truthFile))
            return CommandOutput.Fail(io.Error, $"--truth file '{truthFile}' does not exist.", "pass the ground_truth.parquet of 'fhirrisk simulate', or leave --truth out.", ExitCodes.UsageError);
        // Rollouts need a catalog task's stop rules; heads may cover tasks of the user's own (checked against heads.json).
        if (r.Method == "rollouts" && !Meds.Tasks.TaskCatalog.Names.Contains(r.Selection.Task))
            return CommandOutput.Fail(io.Error, $"there is no task '{r.Selection.Task}' to roll out.",
                $"use one of {string.Join(", ", Meds.Tasks.TaskCatalog.Names)}.", ExitCodes.UsageError);
        if (Directory.Exists(r.Output) && Directory.EnumerateFileSystemEntries(r.Output).Any())
            return CommandOutput.Fail(io.Error, $"--out folder '{r.Output}' is not empty.", "choose a new --out folder.", ExitCodes.UsageError);
        // A run that fails before writing anything leaves no empty --out behind, so the same command can run again
        // (CLI review s10 #1: a damaged model left one, and the rerun was refused as "not empty").
        var created = !Directory.Exists(r.Output);
        var exit = await PredictIntoAsync(r, io, cancellationToken);
        if (exit != ExitCodes.Success && created && Directory.Exists(r.Output) && !Directory.EnumerateFileSystemEntries(r.Output).Any())
            Directory.Delete(r.Output);
        return exit;
    }

    private static async Task<int> PredictIntoAsync(PredictRequest r, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        try
        {
            CreateOutput(r.Output);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            return CommandOutput.Fail(io.Error, $"--out '{r.Output}' cannot be created as a folder ({e.Message}).", "choose a folder you can write to.", ExitCodes.UsageError);
        }
        if (r.Truth is { } truthPath)
        {
            try
            {
                // Read once, here: a file that is no truth file fails before any work, and every match below uses this table.
                r = r with { TruthTable = SimulatorTruth.Read(truthPath) };
            }
            catch (Exception e) when (e is InvalidDataException or Parquet.ParquetException or IOException)
            {
                return CommandOutput.Fail(io.Error, $"--truth '{truthPath}' is not a simulator truth file: {e.Message}",
                    "pass the ground_truth.parquet that 'fhirrisk simulate' wrote (docs/formats/simulator-truth.md), or leave --truth out.");
            }
        }

        try
        {
            // The labels' definitions (their task_parameters.json): rollouts of a pretrained model answer them, and heads
            // finetuned on other ones are refused rather than scored against labels of another question.
            var labelled = TaskParametersFile.ReadForLabels(r.Labels);
            var options = InferenceOptions.Default with
            {
                Threads = r.Threads,
                Scheduler = RolloutSchedulerOptions.Default with { MaxSlots = r.Slots },
                TaskParameters = labelled,
            };
            using var session = InferenceSession.Open(r.Model, options);
            if (labelled is null)
                io.Error.WriteLine($"warning: '{r.Labels}' has no {TaskParametersFile.FileName} (labelled before it was kept, or by another tool): the points are scored with the model's task definitions (a prolonged stay of {session.TaskParameters.ProlongedStay.TotalDays:0.##} days), which may not be those the labels were made with.");
            if (r.Method == "rollouts" && session.GeneratesFromHeadsBackbone)
                io.Error.WriteLine($"warning: the model directory has task heads but no {InferenceSession.PretrainedFolder}/ backbone beside them: the rollouts sample from the finetuned backbone, which was trained for its heads, not to write timelines. Pass the pretrained model (its {InferenceSession.PretrainedFolder}/ folder) for rollouts.");
            return r.Method == "heads"
                ? PredictHeads(r, session, io, cancellationToken)
                : await PredictRolloutsAsync(r, session, io, cancellationToken);
        }
        catch (InferenceException e) when (e.Message.Contains("task parameters", StringComparison.Ordinal))
        {
            return CommandOutput.Fail(io.Error, e.Message, "score the heads on labels made with the task parameters they were finetuned on ('fhirrisk labels --prolonged-stay-days').");
        }
        catch (InferenceException e)
        {
            return CommandOutput.Fail(io.Error, e.Message, "pass a whole model directory written by 'fhirrisk train' (or 'fhirrisk finetune' for --method heads).");
        }
        catch (InvalidDataException e) when (e.Message.Contains(TaskParametersFile.FileName, StringComparison.Ordinal))
        {
            return CommandOutput.Fail(io.Error, e.Message, "run 'fhirrisk labels' again into a new folder.");
        }
        catch (CheckpointException e)
        {
            return CommandOutput.Fail(io.Error, e.Message, "pass a whole model directory written by 'fhirrisk train' (or 'fhirrisk finetune' for --method heads).");
        }
        catch (TrainingException e)
        {
            return CommandOutput.Fail(io.Error, e.Message, "tokenize and label the same dataset with the model's tokenizer (fhirrisk tokenize, fhirrisk labels).");
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or Meds.MedsFormatException or Parquet.ParquetException)
        {
            return CommandOutput.Fail(io.Error, e.Message, "tokenize and label the same dataset with the model's tokenizer (fhirrisk tokenize, fhirrisk labels).");
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            return CommandOutput.Fail(io.Error, $"could not write to '{r.Output}': {e.Message}", "free space on its disk or fix its permissions, then run again into an empty --out.");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            io.Error.WriteLine($"interrupted: no predictions were written to {r.Output}.");
            return ExitCodes.Interrupted;
        }
    }

    private static async Task<int> PredictRolloutsAsync(PredictRequest r, InferenceSession session, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        session.Task(r.Selection.Task);
        var set = LabelledPoints.Read(session, r.Tokens, r.Labels, r.Selection);
        await io.Output.WriteLineAsync(Invariant($"{set.Points.Count:N0} of {set.LabelsInSplit:N0} {r.Selection.Task} points of split {r.Selection.Split} ({set.BeforeFirstToken} before the first token); {RolloutCounts.Of(r.Settings)} rollouts each, seed {r.Settings.Seed}"));
        if (r.Selection.AskedBefore is { } before)
            await io.Output.WriteLineAsync(Invariant($"asked {before.TotalHours:0.##} h before each point: {set.AwaitingEnd:N0} inside the stay whose end they wait for, {set.SettledBefore:N0} left out (the record already settled them then)"));
        if (set.Points.Count == 0)
            return CommandOutput.Fail(io.Error, $"no labelled {r.Selection.Task} point of split {r.Selection.Split} has a timeline to prompt.",
                "pass the labels of the dataset that was tokenized ('fhirrisk labels <meds-dir>'), and a split it has (or 'all').");
        // Rollouts take minutes to hours: check that the truth file covers these points before running any.
        if (r.TruthTable is { } truth && TruthCoversNone(truth, [.. set.Points.Select(p => new Prediction(p.SubjectId, p.PredictionTime, r.Selection.Task, "rollouts", 0, p.Label))]))
            return TruthMatchesNothing(io, r.Truth!, set.Points.Count);
        IReadOnlyList<ScoredPoint> scored;
        await using (var predictor = session.CreateRolloutPredictor())
        {
            scored = await RolloutPointScorer.ScoreAsync(predictor, session, r.Selection.Task, set.Points, r.Settings, r.Concurrent,
                new ProgressLines(io.Output, set.Points.Count), cancellationToken);
        }
        var settled = scored.Where(s => s.Estimate.Labelled > 0).ToArray();
        var rows = settled.Select(s => new Prediction(s.Point.SubjectId, s.Point.PredictionTime, r.Selection.Task, r.MethodName, s.Estimate.Risk, s.Point.Label)).ToList();
        // Both rollout files record the settings, so 'calibrate-rollouts' fits its map for the answers they give.
        var recorded = (PredictedRollouts.Of(r.Settings) with
        {
            AskedBeforeHours = r.Selection.AskedBefore?.TotalHours ?? 0,
            Split = r.Selection.Split,
            ProlongedStayDays = session.TaskParameters.ProlongedStay.TotalDays,
        }).WriterOptions();
        var (written, unmatched, oracle, record) = Write(r, rows, r.FileOf(r.MethodName), io, recorded);
        if (settled.All(s => !double.IsNaN(s.Estimate.Hazard)))
        {
            // The same rollouts through the hazard estimate, on the same points as the counts.
            var kept = written.Select(p => (p.SubjectId, p.PredictionTime)).ToHashSet();
            PredictionsFile.Write(Path.Combine(r.Output, r.FileOf(r.HazardMethodName)), [.. settled.Where(s => kept.Contains((s.Point.SubjectId, s.Point.PredictionTime)))
                .Select(s => new Prediction(s.Point.SubjectId, s.Point.PredictionTime, r.Selection.Task, r.HazardMethodName, s.Estimate.Hazard, s.Point.Label))], recorded);
        }
        if (oracle is not null)
        {
            // The oracle through the same rollout counts: how much of the rollouts' gap to the oracle is counting noise.
            var counts = settled.ToDictionary(s => (r.Selection.Task, s.Point.SubjectId, s.Point.PredictionTime), s => s.Estimate.Labelled);
            PredictionsFile.Write(Path.Combine(r.Output, SampledOracleFile), OraclePredictions.SampleRollouts(oracle, counts, r.Settings.Seed));
            // The record reference through them too: the ceiling of a count of rollouts from a model as good as the record.
            if (record.Count > 0)
                PredictionsFile.Write(Path.Combine(r.Output, SampledRecordFile),
                    OraclePredictions.SampleRollouts(record, counts, r.Settings.Seed, OraclePredictions.RecordSampledMethodName));
        }
        var rollouts = scored.Sum(s => (long)s.Estimate.Labelled + s.Estimate.Excluded + s.Estimate.Ambiguous);
        io.Output.WriteLine(Invariant($"{r.Output}: {written.Count:N0} points ({written.Count(p => p.Label):N0} positive) from {rollouts:N0} rollouts{(r.Settings.Pilot > 0 ? $" after {(long)r.Settings.Pilot * scored.Count:N0} pilot ones" : "")}, {scored.Sum(s => s.GeneratedTokens):N0} tokens; mean labelled rollouts {scored.Average(s => s.Estimate.Labelled):0.0}, excluded {scored.Sum(s => s.Estimate.Excluded):N0}, ambiguous {scored.Sum(s => s.Estimate.Ambiguous):N0}; {scored.Count - settled.Length} point(s) without a labelled rollout and {unmatched} without an oracle row left out."));
        return ExitCodes.Success;
    }

    private static int PredictHeads(PredictRequest r, InferenceSession session, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        if (session.Heads is not { } heads)
            return CommandOutput.Fail(io.Error, $"'{r.Model}' has no heads.json.", "pass a model directory written by 'fhirrisk finetune', or use --method rollouts.", ExitCodes.UsageError);
        if (FinetunedModel.StoppedEarlyWarning(r.Model) is { } stoppedEarly)
            io.Error.WriteLine($"warning: {stoppedEarly}");
        var task = r.Selection.Task;
        if (task != AllTasks && !heads.Tasks.Contains(task))
            return CommandOutput.Fail(io.Error, $"the heads cover no task '{task}'.", $"use --task all or one of {string.Join(", ", heads.Tasks)}.", ExitCodes.UsageError);
        IReadOnlyList<string> scoredTasks = task == AllTasks ? heads.Tasks : [task];
        var splits = r.Selection.Split == LabelledPointSelection.AllSplits ? null : new[] { r.Selection.Split };
        var loaded = FinetuningDataset.LoadForScoring(session.Tokenizer, r.Tokens, r.Labels, heads.Tasks, scoredTasks,
            session.Parameters.Config.ContextLength, splits, heads.HistoryCodes);
        if (loaded.TasksWithoutLabels.Count == scoredTasks.Count || loaded.Points.Count == 0)
            return CommandOutput.Fail(io.Error, $"no labelled point of {string.Join(", ", scoredTasks)} in split {r.Selection.Split}.",
                "run 'fhirrisk labels <meds-dir> --task all --out <dir>' on the dataset that was tokenized, and pass a split it has (or 'all').");
        io.Output.WriteLine(Invariant($"{loaded.Points.Count:N0} points of split {r.Selection.Split} prompted for {scoredTasks.Count - loaded.TasksWithoutLabels.Count} task(s) ({loaded.EarlyPoints} before the first token, {loaded.UnmatchedPoints} of subjects in other splits left out){(loaded.TasksWithoutLabels.Count > 0 ? $"; no labels for {string.Join(", ", loaded.TasksWithoutLabels)}" : "")}"));
        var rows = HeadPredictor.Predict(session.Parameters, heads, loaded.Points, HeadsBatchSize, new ComputeOptions(r.Threads), cancellationToken);
        if (r.Name is { } name)
            rows = [.. rows.Select(p => p with { Method = name })];
        if (r.TruthTable is { } truth && TruthCoversNone(truth, rows))
        {
            // Keep what was computed, without an oracle to compare it with.
            PredictionsFile.Write(Path.Combine(CreateOutput(r.Output), r.FileOf(r.MethodName)), rows);
            return TruthMatchesNothing(io, r.Truth!, rows.Count);
        }
        var (written, unmatched, _, _) = Write(r, rows, r.FileOf(r.MethodName), io);
        var byTask = written.GroupBy(p => p.Task).Select(g => Invariant($"{g.Key} {g.Count():N0} ({g.Count(p => p.Label):N0} positive)"));
        io.Output.WriteLine(Invariant($"{r.Output}: {written.Count:N0} predictions: {string.Join(", ", byTask)}; {unmatched} without an oracle row left out."));
        return ExitCodes.Success;
    }

    /// <summary>Writes <paramref name="rows"/> (and with <c>--truth</c> the oracle's, keeping only the points it has);
    /// returns the oracle rows written, null without <c>--truth</c>.</summary>
    private static (IReadOnlyList<Prediction> Written, int Unmatched, IReadOnlyList<Prediction>? Oracle, IReadOnlyList<Prediction> Record) Write(PredictRequest r,
        IReadOnlyList<Prediction> rows, string file, InvocationConfiguration io, ParquetWriterOptions? options = null)
    {
        var unmatched = 0;
        IReadOnlyList<Prediction>? oracleRows = null;
        IReadOnlyList<Prediction> recordRows = [];
        CreateOutput(r.Output);
        if (r.TruthTable is { } truth)
        {
            // evaluate compares methods on the same points: keep only those the oracle has too.
            var oracle = truth.Match(rows);
            oracleRows = oracle.Predictions;
            var matched = oracle.Predictions.Select(p => (p.Task, p.SubjectId, p.PredictionTime)).ToHashSet();
            unmatched = oracle.Unmatched;
            rows = [.. rows.Where(p => matched.Contains((p.Task, p.SubjectId, p.PredictionTime)))];
            PredictionsFile.Write(Path.Combine(r.Output, OracleFile), oracle.Predictions);
            WriteReference(Path.Combine(r.Output, ObservableOracleFile), oracle.Observable, oracle.Predictions);
            recordRows = WriteReference(Path.Combine(r.Output, RecordOracleFile), oracle.Record, oracle.Predictions);
            if (oracle.OutcomeMismatches > 0)
                io.Error.WriteLine(Invariant($"warning: {oracle.OutcomeMismatches} point(s) have a label that differs from the simulator's outcome."));
        }
        PredictionsFile.Write(Path.Combine(r.Output, file), rows, options);
        return (rows, unmatched, oracleRows, recordRows);
    }

    /// <summary>True when the truth file has a row for none of <paramref name="points"/>: it belongs to another cohort.</summary>
    private static bool TruthCoversNone(SimulatorTruth truth, IReadOnlyList<Prediction> points) =>
        points.Count > 0 && truth.Match(points).Predictions.Count == 0;

    private static int TruthMatchesNothing(InvocationConfiguration io, string truth, int points) => CommandOutput.Fail(io.Error,
        Invariant($"--truth '{truth}' has a row for none of the {points:N0} points: it is the truth of another cohort."),
        "pass the ground_truth.parquet that 'fhirrisk simulate' wrote beside the export this dataset was ingested from, or leave --truth out.");

    /// <summary>Creates the --out folder; a path that cannot be a folder is an <see cref="IOException"/> the caller reports.</summary>
    private static string CreateOutput(string output)
    {
        Directory.CreateDirectory(output);
        return output;
    }

    /// <summary>Writes a reference the truth has for some tasks only (the observable truth, the record reference): per task
    /// it is at every point or at none (simulator-truth.md), and only the tasks it covers whole are written.</summary>
    /// <returns>The rows written (none when no task is covered whole).</returns>
    private static IReadOnlyList<Prediction> WriteReference(string path, IReadOnlyList<Prediction> reference, IReadOnlyList<Prediction> oracle)
    {
        var present = reference.CountBy(p => p.Task).ToDictionary();
        var complete = oracle.CountBy(p => p.Task).Where(t => present.GetValueOrDefault(t.Key) == t.Value).Select(t => t.Key).ToHashSet();
        if (complete.Count == 0)
            return [];
        Prediction[] rows = [.. reference.Where(p => complete.Contains(p.Task))];
        PredictionsFile.Write(path, rows);
        return rows;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record PredictRequest(string Method, string Model, string Tokens, string Labels, string? Truth, string Output,
        LabelledPointSelection Selection, RolloutSettings Settings, int Concurrent, int Slots, int Threads, string? Name)
    {
        /// <summary>The --truth file, read once before any work.</summary>
        public SimulatorTruth? TruthTable { get; init; }

        /// <summary>The method name of the main predictions: --name, or the method's own.</summary>
        public string MethodName => Name ?? (Method == "heads" ? HeadPredictor.MethodName : "rollouts");

        /// <summary>The method name of the rollouts' hazard estimate.</summary>
        public string HazardMethodName => Name is null ? HazardMethod : Name + "_hazard";

        /// <summary>The file of a method's predictions: <c>&lt;method&gt;.predictions.parquet</c> (the defaults' names
        /// are <see cref="RolloutsFile"/>, <see cref="HazardFile"/> and <see cref="HeadsFile"/>).</summary>
        public string FileOf(string method) => method + ".predictions.parquet";
    }

    /// <summary>A line about every 2 % of the points (a background run's log).</summary>
    private sealed class ProgressLines(TextWriter output, int total) : IProgress<ScoringProgress>
    {
        private readonly Lock _gate = new();
        private int _next = Math.Max(1, total / 50);

        public void Report(ScoringProgress value)
        {
            lock (_gate)
            {
                if (value.Done < _next && value.Done != value.Total)
                    return;
                _next = value.Done + Math.Max(1, total / 50);
                var seconds = value.Elapsed.TotalSeconds;
                var left = seconds / value.Done * (value.Total - value.Done);
                output.WriteLine(Invariant($"scored {value.Done:N0}/{value.Total:N0} points, {value.GeneratedTokens:N0} tokens, {value.GeneratedTokens / Math.Max(seconds, 1e-9):N0} tokens/s, {seconds:0} s, about {left:0} s left"));
            }
        }
    }
}
