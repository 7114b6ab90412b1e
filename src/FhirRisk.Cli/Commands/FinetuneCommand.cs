using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Heads;
using FhirRisk.Parquet;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Finetuning;
using FhirRisk.Training;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk finetune --model &lt;dir&gt; --tokens &lt;dir&gt;|--meds &lt;dir&gt; --labels &lt;dir&gt; [--tasks all] --out &lt;dir&gt; [--freeze]</c>
/// (issue 6 item 2): multitask prompted finetuning of a pretrained model (docs/finetuning.md) — task tokens, one binary
/// head per task, calibration on the tuning split — into a new model directory with <c>heads.json</c>
/// (docs/formats/heads.md). A progress bar shows the loss; the end prints each task's tuning AUROC, log-loss and ECE.
/// Exit 0 on success, 1 on bad data or a failed save, 2 on bad arguments, 130 when Ctrl-C stopped training early (the
/// heads trained so far are still calibrated and saved).
/// </summary>
internal static class FinetuneCommand
{
    /// <summary>128 + SIGINT.</summary>
    private const int Interrupted = 130;

    private static readonly FinetuningSettings Defaults = FinetuningSettings.Default;

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "The pretrained model directory ('fhirrisk train' output: config.json, model.safetensors, tokenizer).", Required = true };
        var tokens = new Option<DirectoryInfo>("--tokens") { Description = "Token shards written with the model's tokenizer ('fhirrisk tokenize' output)." };
        var meds = new Option<DirectoryInfo>("--meds") { Description = "A MEDS dataset instead of --tokens: tokenized with the model's tokenizer into a temporary folder first." };
        var labels = new Option<DirectoryInfo>("--labels") { Description = "The 'fhirrisk labels' output (labels/<task>/<split>/*.parquet).", Required = true };
        var tasks = new Option<string>("--tasks") { Description = "'all' (every task with labels of both classes in train) or task names separated by commas, in prompt order.", DefaultValueFactory = _ => "all" };
        var output = new Option<DirectoryInfo>("--out") { Description = "The finetuned model directory to write (new or empty).", Required = true };
        var freeze = new Option<bool>("--freeze") { Description = "Keep the backbone fixed and train only the heads (fast; hidden states computed once)." };
        var steps = CommandOptions.IntAtLeast("--steps", 1, Defaults.Steps, "Optimizer steps.");
        var batch = CommandOptions.IntAtLeast("--batch", 1, Defaults.BatchSize, "Prediction points per step (each with all its task labels).");
        var context = CommandOptions.IntAtLeast("--context", 0, Defaults.ContextLength, "Positions of the finetuned model, task tokens included (0: the pretrained model's; a shorter one serves heads on short windows).");
        var history = CommandOptions.IntAtLeast("--history-codes", 0, Defaults.HistoryCodes,
            $"Diagnosis categories charted up to the point (the most recent, at most {FinetuningSettings.MaxHistoryCodes}) written after the timeline, before the task tokens (0: none).");
        var lr = Number("--lr", Defaults.BackboneLearningRate, "Peak learning rate of the backbone (ignored with --freeze).");
        var headLr = Number("--head-lr", Defaults.HeadLearningRate, "Peak learning rate of the heads.");
        var warmup = CommandOptions.IntAtLeast("--warmup", 0, Defaults.WarmupSteps, "Steps of linear warmup.");
        var balance = new Option<bool>("--balance") { Description = "Weight each task's positives by its train negatives/positives (calibration restores the probabilities)." };
        var ema = Number("--ema", Defaults.WeightAverageDecay, "Decay of an exponential moving average of the weights, kept in place of the last step's (0: off; 0.999 averages about the last 1,000 steps).");
        var lmLoss = new Option<bool>("--lm-loss") { Description = "Add the next-token loss of each point's timeline to the heads' loss (GPT-1's auxiliary language-model objective; not with --freeze)." };
        var dropout = new Option<float?>("--dropout") { Description = "Drop probability of the backbone while finetuning, in [0, 1) (default: the pretrained model's)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the task-token rows, the order of the points and dropout.", DefaultValueFactory = _ => Defaults.Seed };
        var threads = CommandOptions.IntAtLeast("--threads", 1, Defaults.Threads, "Threads per CPU kernel.");
        var prolongedDays = new Option<int?>("--prolonged-stay-days")
        {
            Description = "The --prolonged-stay-days the labels were made with, for labels without a task_parameters.json (labelled before it was kept, or by another tool); recorded with the heads. Refused when the labels' file says otherwise.",
        };
        prolongedDays.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
                result.AddError("--prolonged-stay-days must be at least 1.");
        });
        var command = new Command("finetune", "Multitask prompted finetuning: task tokens, one calibrated binary head per task.")
        {
            model, tokens, meds, labels, tasks, output, freeze, steps, batch, context, history, lr, headLr, warmup, balance, ema, lmLoss, dropout, seed, threads,
            prolongedDays,
        };
        command.SetAction((parsed, cancellationToken) =>
        {
            var settings = new FinetuningSettings
            {
                Steps = parsed.GetValue(steps),
                BatchSize = parsed.GetValue(batch),
                ContextLength = parsed.GetValue(context),
                HistoryCodes = parsed.GetValue(history),
                FreezeBackbone = parsed.GetValue(freeze),
                BackboneLearningRate = parsed.GetValue(lr),
                HeadLearningRate = parsed.GetValue(headLr),
                // The default warmup shortens to a short run's length; a --warmup given longer than --steps is refused
                // (FinetuningSettings.Validate), as train refuses it, not shortened in silence.
                WarmupSteps = parsed.GetResult(warmup) is { Implicit: false } ? parsed.GetValue(warmup) : Math.Min(parsed.GetValue(warmup), parsed.GetValue(steps)),
                BalancePositives = parsed.GetValue(balance),
                WeightAverageDecay = parsed.GetValue(ema),
                LanguageModelLoss = parsed.GetValue(lmLoss),
                Dropout = parsed.GetValue(dropout),
                Seed = parsed.GetValue(seed),
                Threads = parsed.GetValue(threads),
            };
            var inputs = new Inputs(parsed.GetRequiredValue(model), parsed.GetValue(tokens), parsed.GetValue(meds), parsed.GetRequiredValue(labels),
                parsed.GetValue(tasks)!, parsed.GetRequiredValue(output), parsed.GetValue(prolongedDays));
            return Task.FromResult(Run(inputs, settings, parsed.InvocationConfiguration, cancellationToken));
        });
        return command;
    }

    private sealed record Inputs(DirectoryInfo Model, DirectoryInfo? Tokens, DirectoryInfo? Meds, DirectoryInfo Labels, string Tasks, DirectoryInfo Output,
        int? ProlongedStayDays);

    private static int Run(Inputs inputs, FinetuningSettings settings, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        if ((inputs.Tokens is null) == (inputs.Meds is null))
            return CommandOutput.Fail(io.Error, "pass exactly one of --tokens and --meds.", "--tokens takes 'fhirrisk tokenize' output; --meds a MEDS dataset to tokenize on the fly.", ExitCodes.UsageError);
        foreach (var folder in new[] { inputs.Model, inputs.Tokens ?? inputs.Meds!, inputs.Labels })
        {
            if (!folder.Exists)
                return CommandOutput.Fail(io.Error, $"'{folder.FullName}' does not exist.", "check the path.", ExitCodes.UsageError);
        }
        string[]? taskNames = inputs.Tasks == "all" ? null : inputs.Tasks.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

        string? temporary = null;
        try
        {
            settings.Validate(); // before the model and the points are loaded, so a bad setting fails at once
            FinetunedModel.CheckEmpty(inputs.Output.FullName);
            var (tokenizer, pretrained) = PretrainedModel.Load(inputs.Model.FullName);
            var console = CommandOutput.ConsoleFor(io.Output);
            var tokensFolder = inputs.Tokens?.FullName;
            if (inputs.Meds is { } medsFolder)
            {
                temporary = Path.Combine(Path.GetTempPath(), $"fhirrisk-finetune-{Guid.NewGuid():N}");
                tokensFolder = temporary;
                var dataset = MedsDatasetReader.Open(medsFolder.FullName);
                // As 'fhirrisk tokenize' does: a model of other data is refused, not finetuned on unknown codes (CLI review s10 #3).
                TokenizeProgressDisplay.Run(console, progress => DatasetTokenization.Run(tokenizer, dataset, temporary,
                    [FinetuningDataset.TrainSplit, FinetuningDataset.TuningSplit], settings.Threads, progress, cancellationToken,
                    maxUnknownShare: TokenizeCommand.MaxUnknownShare));
            }

            // What the labels were made with, recorded with the heads so the service answers the tasks they learnt.
            var recorded = TaskParametersFile.ReadForLabels(inputs.Labels.FullName);
            var given = inputs.ProlongedStayDays is { } days ? TaskParameters.Default with { ProlongedStay = TimeSpan.FromDays(days) } : null;
            if (recorded is not null && given is not null && TaskParametersFile.Differences(recorded, given) is { Count: > 0 } differences)
                return CommandOutput.Fail(io.Error, $"--prolonged-stay-days disagrees with the labels' {TaskParametersFile.FileName} ({string.Join("; ", differences)}).",
                    "leave --prolonged-stay-days out: the labels say how they were made.", ExitCodes.UsageError);
            var taskParameters = recorded ?? given ?? TaskParameters.Default;
            if (recorded is null && given is null)
                io.Error.WriteLine($"warning: '{inputs.Labels.FullName}' has no {TaskParametersFile.FileName} (labelled before it was kept, or by another tool): the heads are recorded as trained on the default task definitions (a prolonged stay of {TaskParameters.Default.ProlongedStay.TotalDays:0} days). Pass --prolonged-stay-days N if the labels were made with another.");
            var loaded = FinetuningDataset.Load(tokenizer, tokensFolder!, inputs.Labels.FullName, taskNames, settings.ContextFor(pretrained.Config.ContextLength),
                settings.HistoryCodes);
            var data = loaded.Data;
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"finetuning {(settings.FreezeBackbone ? "heads only (frozen backbone)" : "backbone and heads")} for {string.Join(", ", data.Tasks)}: {data.Train.Count:N0} train and {data.Tuning.Count:N0} tuning points, {settings.Steps} steps of {settings.BatchSize}{(settings.HistoryCodes > 0 ? $"; each context ends with up to {settings.HistoryCodes} diagnosis categories of its history" : "")}."));
            foreach (var skipped in loaded.Skipped)
                console.WriteLine($"skipped {skipped}");
            if (loaded.UnmatchedPoints + loaded.EarlyPoints > 0)
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"left out {loaded.UnmatchedPoints:N0} points of subjects without tokens and {loaded.EarlyPoints:N0} before their subject's first event."));

            var heads = MultitaskFinetuner.NewHeads(pretrained, tokenizer, data, settings);
            var result = WithProgress(console, settings, progress => MultitaskFinetuner.Run(pretrained, heads, data, settings, progress, cancellationToken: cancellationToken));
            if (result.Cancelled && result.StepsDone == 0)
            {
                // Heads that never took a step answer every patient with the tuning base rate: not a model to save.
                io.Error.WriteLine($"interrupted before the first finetuning step: nothing was saved to {inputs.Output.FullName}.");
                return Interrupted;
            }
            FinetunedModel.Save(inputs.Output.FullName, tokenizer, result, settings, taskParameters);
            Report(console, io, result, settings.Steps, inputs.Output.FullName);
            return result.Cancelled ? Interrupted : ExitCodes.Success;
        }
        catch (Tokenizer.TokenizationException e) when (e.Issue.Code == Tokenizer.TokenizerIssueCodes.TooManyUnknownCodes)
        {
            return CommandOutput.Fail(io.Error, e.Issue.ToString(), "finetune a model pretrained on this kind of data, or tokenize it yourself with 'fhirrisk tokenize --allow-unknown-codes' and pass --tokens.", ExitCodes.Failure);
        }
        catch (TrainingException e)
        {
            var code = e.Code == FinetuningErrorCodes.OutputNotEmpty ? ExitCodes.UsageError : ExitCodes.Failure;
            return CommandOutput.Fail(io.Error, e.Message, "see docs/finetuning.md, 'Errors'.", code);
        }
        catch (ArgumentException e) when (!FileFailures.IsFileTooLarge(e))
        {
            return CommandOutput.Fail(io.Error, InOptionNames(e.Message), "see 'fhirrisk finetune --help' for each setting's meaning and range.", ExitCodes.UsageError);
        }
        catch (Exception e) when (e is CheckpointException or InvalidDataException or FileNotFoundException or MedsFormatException or ParquetException || FileFailures.IsFileFailure(e))
        {
            return CommandOutput.Fail(io.Error, e.Message, "pass a model directory written by 'fhirrisk train' as --model, with the token shards or MEDS dataset it was trained on.", ExitCodes.Failure);
        }
        finally
        {
            if (temporary is not null && Directory.Exists(temporary))
                Directory.Delete(temporary, recursive: true);
        }
    }

    private static FinetuningResult WithProgress(IAnsiConsole console, FinetuningSettings settings, Func<IProgress<FinetuningProgress>, FinetuningResult> run) =>
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("finetuning", maxValue: settings.Steps);
                var result = run(new StepProgress(task));
                task.StopTask();
                return result;
            });

    private static void Report(IAnsiConsole console, InvocationConfiguration io, FinetuningResult result, int steps, string output)
    {
        var table = new Table().AddColumns("task", "train (pos)", "tuning (pos)", "tuning AUROC", "log-loss raw → calibrated", "ECE (in-sample)", "calibration");
        foreach (var t in result.Tasks)
        {
            table.AddRow(t.Task, Count(t.TrainLabels, t.TrainPositives), Count(t.TuningLabels, t.TuningPositives), Metric(t.Auroc),
                $"{Metric(t.RawLogLoss)} → {Metric(t.CalibratedLogLoss)}", Metric(t.CalibratedEce), Describe(t.Calibration));
        }
        console.Write(table);
        var nextToken = result.LastLanguageModelLoss is { } last
            ? string.Create(CultureInfo.InvariantCulture, $" (next-token loss {result.FirstLanguageModelLoss:0.0000} -> {last:0.0000})")
            : "";
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{output}: {result.StepsDone}/{steps} steps, loss {result.FirstLoss:0.0000} -> {result.LastLoss:0.0000}{nextToken}, {result.Elapsed.TotalSeconds:0.0} s; heads in {Path.Combine(output, "heads.json")}."));
        if (result.Cancelled)
            io.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stopped early at step {result.StepsDone}; the heads trained so far are calibrated and saved."));
        // A head whose tuning labels hold too few of a class keeps its raw probabilities: say so, as the service serves them.
        foreach (var t in result.Tasks.Where(t => Math.Min(t.TuningPositives, t.TuningLabels - t.TuningPositives) < CalibrationFitter.MinClassPoints))
        {
            io.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"warning: {t.Task}: the tuning split has {t.TuningLabels:N0} label(s), {t.TuningPositives:N0} positive; a calibration needs {CalibrationFitter.MinClassPoints} of each class, so its head is not calibrated (docs/finetuning.md \"Calibration\")."));
        }
    }

    private static readonly (string Setting, string Option)[] s_optionOf =
    [
        (nameof(FinetuningSettings.Steps), "--steps"), (nameof(FinetuningSettings.BatchSize), "--batch"),
        (nameof(FinetuningSettings.ContextLength), "--context"), (nameof(FinetuningSettings.HistoryCodes), "--history-codes"),
        (nameof(FinetuningSettings.BackboneLearningRate), "--lr"), (nameof(FinetuningSettings.HeadLearningRate), "--head-lr"),
        (nameof(FinetuningSettings.WarmupSteps), "--warmup"), (nameof(FinetuningSettings.WeightAverageDecay), "--ema"),
        (nameof(FinetuningSettings.LanguageModelLoss), "--lm-loss"), (nameof(FinetuningSettings.FreezeBackbone), "--freeze"),
        (nameof(FinetuningSettings.Dropout), "--dropout"), (nameof(FinetuningSettings.Threads), "--threads"),
    ];

    /// <summary>A settings message with <c>FinetuningSettings.X</c> read as the options the user typed (review s22 trainer
    /// L1: "FinetuningSettings.HeadLearningRate must lie in (0, 10)" for --head-lr), as train's messages are.</summary>
    internal static string InOptionNames(string message) => SettingsOptionNames.Apply(message, nameof(FinetuningSettings), s_optionOf);

    private static string Count(int labels, int positives) => string.Create(CultureInfo.InvariantCulture, $"{labels:N0} ({positives:N0})");

    private static string Metric(double value) => double.IsFinite(value) ? value.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";

    private static string Describe(ProbabilityCalibration c) => c.Method switch
    {
        CalibrationMethod.Temperature => string.Create(CultureInfo.InvariantCulture, $"temperature {c.Temperature:0.###}"),
        CalibrationMethod.Platt => string.Create(CultureInfo.InvariantCulture, $"Platt a={c.Scale:0.###} b={c.Shift:0.###}"),
        _ => "none",
    };


    private static Option<double> Number(string name, double defaultValue, string description) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    /// <summary>Moves the bar and shows the step's loss (Spectre tasks are thread-safe).</summary>
    private sealed class StepProgress(ProgressTask task) : IProgress<FinetuningProgress>
    {
        public void Report(FinetuningProgress value)
        {
            task.Value = value.Step;
            task.Description = string.Create(CultureInfo.InvariantCulture, $"step {value.Step}/{value.Steps}: loss {value.Loss:0.000}");
        }
    }
}
