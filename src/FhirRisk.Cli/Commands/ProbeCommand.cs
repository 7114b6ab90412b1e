using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Core.Statistics;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model;
using FhirRisk.Parquet;
using FhirRisk.Tokenizer;
using FhirRisk.Training;
using FhirRisk.Training.Baselines;
using FhirRisk.Training.Evaluation;
using FhirRisk.Training.Linear;
using FhirRisk.Training.Probes;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk probe &lt;meds-dir&gt; --labels &lt;dir&gt; --out &lt;dir&gt; [--task all] [--features embeddings|counts]
/// [--model &lt;dir&gt;] [--k-shot]</c> (issue 6 items 3 and 4, docs/probes.md): an L2 logistic regression per task on
/// the hidden state at the prediction point of a pretrained model (method <c>probe</c>), or on code counts with ICD
/// roll-up (<c>--features counts</c>, the count baseline, method <c>count_baseline</c>), fitted on the train and tuning
/// splits and written as predictions for the held-out split. Exit 0 when at least one task was fitted, 1 on bad data
/// or when no task could be fitted, 2 on bad arguments or an output that already exists.
/// </summary>
internal static class ProbeCommand
{
    private const string Embeddings = "embeddings";
    private const string Counts = "counts";

    public static Command Create()
    {
        var dataset = MedsCommand.DatasetArgument();
        var labels = new Option<DirectoryInfo>("--labels") { Description = "The 'fhirrisk labels' output (labels/<task>/…), or a MEDS task root (<task>/…).", Required = true };
        var task = new Option<string>("--task") { Description = "A task name, or 'all' (every catalog task with labels).", DefaultValueFactory = _ => "all" };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for <method>.predictions.parquet and <method>.fits.json.", Required = true };
        var features = new Option<string>("--features") { Description = "'embeddings' (the probe; needs --model) or 'counts' (the count baseline).", DefaultValueFactory = _ => Embeddings };
        features.AcceptOnlyFromAmong(Embeddings, Counts);
        var model = new Option<DirectoryInfo>("--model") { Description = "The pretrained model directory ('fhirrisk train' output) for --features embeddings." };
        var kShot = new Option<bool>("--k-shot") { Description = "Also fit on k ∈ {1,2,4,…,128} examples per class, 5 replicates each (EHRSHOT's protocol)." };
        var trainSplit = new Option<string>("--train-split") { Description = "Split the probe is fitted on.", DefaultValueFactory = _ => MedsSchema.TrainSplit };
        var tuningSplit = new Option<string>("--tuning-split") { Description = "Split pooled with --train-split for fitting ('' for none).", DefaultValueFactory = _ => MedsSchema.TuningSplit };
        var testSplit = new Option<string>("--test-split") { Description = "Split predicted and written.", DefaultValueFactory = _ => MedsSchema.HeldOutSplit };
        var minCount = CommandOptions.IntAtLeast("--min-count", 1, CodeCountSettings.Default.MinCount, "Counts: fewest train occurrences a code (after ICD roll-up) needs to become a feature.");
        var folds = CommandOptions.IntAtLeast("--folds", 2, RegularizationSearchSettings.Default.Folds, "Cross-validation folds for choosing C.");
        var batch = CommandOptions.IntAtLeast("--batch", 1, EmbeddingSettings.Default.BatchSize, "Embeddings: sequences per forward pass.");
        var threads = CommandOptions.IntAtLeast("--threads", 1, Environment.ProcessorCount, "Threads for the model's kernels and the cross-validation folds.");
        var seed = new Option<ulong>("--seed") { Description = "Seed of the fold assignment and the k-shot draws." };
        var allowUnknown = new Option<bool>("--allow-unknown-codes")
        {
            Description = $"Embeddings: embed the data even when more than {TokenizeCommand.MaxUnknownShare:P0} of its events have codes the model's vocabulary does not know.",
        };
        var keepMidnight = new Option<bool>("--keep-midnight")
        {
            Description = "Counts only (embeddings read the tokenizer's placement): count what the source records by date only where it is written (at midnight), as a tokenizer fitted with --keep-midnight reads it; " +
                "by default a date-only death comes after its day's events and groups nearly all at midnight at the end of their day, as the labels and 'tokenize fit' place them.",
        };
        var command = new Command("probe", "Fit L2 logistic regression probes on model embeddings or code counts and predict the held-out split.")
        {
            dataset, labels, task, output, features, model, kShot, trainSplit, tuningSplit, testSplit, minCount, keepMidnight, folds, batch, threads, seed, allowUnknown,
        };
        command.SetAction((parsed, cancellationToken) =>
        {
            var threadCount = parsed.GetValue(threads);
            var settings = new ProbeSettings
            {
                TrainSplit = parsed.GetValue(trainSplit)!,
                TuningSplit = parsed.GetValue(tuningSplit)!,
                TestSplit = parsed.GetValue(testSplit)!,
                FewShot = parsed.GetValue(kShot) ? new FewShotSettings { Seed = parsed.GetValue(seed) } : new FewShotSettings { Shots = [] },
                Search = new RegularizationSearchSettings { Folds = parsed.GetValue(folds), Seed = parsed.GetValue(seed), Parallelism = threadCount },
            };
            var inputs = new ProbeInputs(parsed.GetRequiredValue(dataset), parsed.GetRequiredValue(labels), parsed.GetValue(task)!, parsed.GetRequiredValue(output),
                parsed.GetValue(features) == Counts, parsed.GetValue(model), parsed.GetValue(minCount), parsed.GetValue(keepMidnight),
                new EmbeddingSettings
                {
                    BatchSize = parsed.GetValue(batch),
                    Compute = new ComputeOptions(threadCount),
                    MaxUnknownShare = parsed.GetValue(allowUnknown) ? null : TokenizeCommand.MaxUnknownShare,
                });
            return Task.FromResult(Run(inputs, settings, parsed.InvocationConfiguration, cancellationToken));
        });
        return command;
    }

    private sealed record ProbeInputs(DirectoryInfo Dataset, DirectoryInfo Labels, string Task, DirectoryInfo Output, bool Counts, DirectoryInfo? Model, int MinCount, bool KeepMidnight, EmbeddingSettings Embedding);

    private static int Run(ProbeInputs inputs, ProbeSettings settings, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        if (!inputs.Counts && inputs.Model is null)
            return CommandOutput.Fail(io.Error, "--features embeddings needs --model.", "pass the model directory 'fhirrisk train' wrote, or use --features counts for the count baseline.", ExitCodes.UsageError);
        foreach (var folder in new[] { inputs.Dataset, inputs.Labels, inputs.Model })
        {
            if (folder is { Exists: false })
                return CommandOutput.Fail(io.Error, $"'{folder.FullName}' does not exist.", "check the path.", ExitCodes.UsageError);
        }
        var taskNames = inputs.Task == "all"
            ? [.. TaskCatalog.Create().Select(t => t.Name).Where(t => TaskLabelSet.FindFolder(inputs.Labels.FullName, t) is not null)]
            : new[] { inputs.Task };
        if (taskNames.Length == 0)
            return CommandOutput.Fail(io.Error, $"no task labels under '{inputs.Labels.FullName}'.", $"run 'fhirrisk labels {inputs.Dataset} --out {inputs.Labels}' first.", ExitCodes.UsageError);

        if (File.Exists(inputs.Output.FullName))
            return CommandOutput.Fail(io.Error, $"--out '{inputs.Output.FullName}' is a file.", "choose a new --out folder.", ExitCodes.UsageError);
        try
        {
            var method = inputs.Counts ? CodeCountFeaturizer.MethodName : EmbeddingFeaturizer.MethodName;
            ProbeOutputs.EnsureFree(inputs.Output.FullName, method);
            var dataset = MedsDatasetReader.Open(inputs.Dataset.FullName);
            var tasks = taskNames.Select(t => TaskLabelSet.Read(inputs.Labels.FullName, t)).ToArray();
            var console = CommandOutput.ConsoleFor(io.Output);
            var result = ProbeProgressDisplay.Run(console, progress =>
            {
                var featurizer = CreateFeaturizer(inputs, dataset, settings, cancellationToken);
                return ProbeRun.Run(dataset, tasks, featurizer, settings, progress, cancellationToken);
            });
            foreach (var skipped in result.Tasks.Where(t => t.SkipReason is not null))
                io.Error.WriteLine($"warning: {skipped.Task} not fitted: {skipped.SkipReason}.");
            if (result.Predictions.Count == 0)
                return CommandOutput.Fail(io.Error, $"[{ProbeErrorCodes.NoFittableTask}] {inputs.Labels.FullName}: no task could be fitted (the warnings above say why).",
                    "each task needs both classes among its train and tuning labels and points in the test split; label a larger cohort, or pass --task with a task that has them.");

            ProbeOutputs.Write(inputs.Output.FullName, result);
            console.Write(SummaryTable(result));
            io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{ProbeOutputs.PredictionsFile(inputs.Output.FullName, method)}: {result.Predictions.Count:N0} predictions ({result.Points:N0} points, {result.FeatureColumns:N0} features); fits in {ProbeOutputs.FitsFile(inputs.Output.FullName, method)}."));
            return ExitCodes.Success;
        }
        catch (TokenizationException e) when (e.Issue.Code == TokenizerIssueCodes.TooManyUnknownCodes)
        {
            return CommandOutput.Fail(io.Error, e.Issue.ToString(),
                $"probe a model pretrained on this kind of data, or pass --allow-unknown-codes to embed it with this vocabulary anyway.");
        }
        catch (TrainingException e)
        {
            return CommandOutput.Fail(io.Error, e.Message, "see docs/probes.md, 'Errors'.", e.Code == ProbeErrorCodes.OutputExists ? ExitCodes.UsageError : ExitCodes.Failure);
        }
        catch (ArgumentException e) when (!FileFailures.IsFileTooLarge(e))
        {
            return CommandOutput.Fail(io.Error, e.Message, "see 'fhirrisk probe --help' for each setting.", ExitCodes.UsageError);
        }
        catch (Exception e) when (e is MedsFormatException or ParquetException or EvaluationInputException || FileFailures.IsFileFailure(e))
        {
            var message = e is MedsFormatException meds ? meds.Issue.ToString() : e.Message;
            return CommandOutput.Fail(io.Error, message, $"run 'fhirrisk meds validate {inputs.Dataset}' to check the dataset.");
        }
    }

    private static IPointFeaturizer CreateFeaturizer(ProbeInputs inputs, MedsDatasetReader dataset, ProbeSettings settings, CancellationToken cancellationToken)
    {
        if (!inputs.Counts)
            return new EmbeddingFeaturizer(ProbeModel.Load(inputs.Model!.FullName), inputs.Embedding);
        var countSettings = new CodeCountSettings { FitSplits = [settings.TrainSplit], MinCount = inputs.MinCount, PlaceDateOnly = !inputs.KeepMidnight };
        return new CodeCountFeaturizer(CodeCountVocabulary.Fit(dataset, countSettings, cancellationToken));
    }

    private static Table SummaryTable(ProbeResult result)
    {
        var table = new Table().Title($"{result.Method}: all-data fits").AddColumns("Task", "Train (pos)", "Tuning (pos)", "Test (pos)", "C", "CV AUROC", "Test AUROC");
        foreach (var column in table.Columns.Skip(1))
            column.RightAligned();
        foreach (var task in result.Tasks)
        {
            var fit = result.Fits.FirstOrDefault(f => f.Task == task.Task && f.KShot is null);
            var rows = result.Predictions.Where(p => p.Task == task.Task && p.KShot is null).ToArray();
            var auroc = BinaryMetrics.Auroc(rows.Select(p => p.Probability).ToArray(), rows.Select(p => p.Label).ToArray());
            table.AddRow(Markup.Escape(task.Task), Count(task.Train), Count(task.Tuning), Count(task.Test),
                fit is null ? "-" : fit.C.ToString("G3", CultureInfo.InvariantCulture), Metric(fit?.CrossValidatedAuroc), fit is null ? "-" : Metric(auroc));
        }
        return table;
    }

    private static string Count(PointCount count) => string.Create(CultureInfo.InvariantCulture, $"{count.Points:N0} ({count.Positives:N0})");

    private static string Metric(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";
}
