using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Tokenizer;
using FhirRisk.Training;
using FhirRisk.Training.Pretraining;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk train --tokens &lt;dir&gt; --tokenizer &lt;dir&gt; --out &lt;model-dir&gt; [--resume] [--steps N] …</c> (issue 6
/// item 1): pretrains a GPT on token shards (docs/training.md) into a model directory (docs/formats/model-directory.md)
/// with a progress bar showing the loss, tokens/s and the time left. Ctrl-C stops after the current step and saves a
/// checkpoint; <c>--resume</c> continues it bit for bit. Exit 0 when the run is complete, 1 on bad data or a failed
/// save, 2 on bad arguments, 130 when interrupted (the shell's code for Ctrl-C).
/// </summary>
internal static class TrainCommand
{
    /// <summary>128 + SIGINT: the run stopped on Ctrl-C with its checkpoint saved.</summary>
    private const int Interrupted = 130;

    public static Command Create()
    {
        var tokens = new Option<DirectoryInfo>("--tokens") { Description = "The token shards ('fhirrisk tokenize' output: manifest.json, train/ and tuning/).", Required = true };
        var tokenizer = new Option<DirectoryInfo>("--tokenizer") { Description = "The tokenizer the shards were written with (tokenizer.json, vocabulary.tsv).", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "The model directory to write (new or empty; with --resume, the run's own).", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run saved in --out (its settings apply; --steps, --threads, --eval-every, --checkpoint-every may change)." };
        var init = new Option<DirectoryInfo>("--init") { Description = "Start from this model directory's weights instead of random ones (same shape and vocabulary; the optimizer, schedule and windows start afresh)." };
        var settings = new SettingsOptions();
        var command = new Command("train", "Pretrain a GPT on token shards (next-token prediction) into a model directory.") { tokens, tokenizer, output, resume, init };
        settings.AddTo(command);
        command.SetAction((parsed, cancellationToken) => Task.FromResult(Run(
            parsed.GetRequiredValue(tokens), parsed.GetRequiredValue(tokenizer), parsed.GetRequiredValue(output),
            parsed.GetValue(resume), parsed.GetValue(init), settings, parsed, cancellationToken)));
        return command;
    }

    private static int Run(DirectoryInfo tokens, DirectoryInfo tokenizerFolder, DirectoryInfo output, bool resume, DirectoryInfo? init,
        SettingsOptions options, ParseResult parsed, CancellationToken cancellationToken)
    {
        var io = parsed.InvocationConfiguration;
        if (!tokens.Exists)
            return CommandOutput.Fail(io.Error, $"'{tokens.FullName}' does not exist.", "pass the --out folder of 'fhirrisk tokenize'.", ExitCodes.UsageError);
        if (init is not null && resume)
            return CommandOutput.Fail(io.Error, "--init starts a new run; --resume continues one.", "drop --init: a resumed run continues from its own checkpoint.", ExitCodes.UsageError);
        if (init is { Exists: false })
            return CommandOutput.Fail(io.Error, $"'{init.FullName}' does not exist.", "pass a model directory written by 'fhirrisk train'.", ExitCodes.UsageError);
        if (resume && options.FixedOnResume(parsed) is { } fixedOption)
            return CommandOutput.Fail(io.Error, $"{fixedOption} cannot change when a run resumes.",
                $"drop it: the run's settings are in {Path.Combine(output.FullName, "checkpoints", "last", "training.json")}; only --steps, --threads, --eval-every and --checkpoint-every may change.", ExitCodes.UsageError);

        TimelineTokenizer tokenizer;
        try
        {
            tokenizer = TimelineTokenizer.Load(tokenizerFolder.FullName);
        }
        catch (FileNotFoundException)
        {
            return CommandOutput.Fail(io.Error, $"no tokenizer in '{tokenizerFolder.FullName}'.", "fit one with 'fhirrisk tokenize fit <meds-dir> --out <dir>' and tokenize with it.", ExitCodes.UsageError);
        }
        catch (InvalidDataException e)
        {
            return CommandOutput.Fail(io.Error, e.Message, "refit the tokenizer with 'fhirrisk tokenize fit'.");
        }

        try
        {
            using var trainer = resume
                ? Pretrainer.Resume(tokenizer, tokens.FullName, output.FullName, saved => options.ChangeOnResume(parsed, saved))
                : Pretrainer.Start(tokenizer, tokens.FullName, output.FullName, options.Read(parsed), initialWeights: init?.FullName);
            if (resume && trainer.Step >= trainer.Settings.Steps && !trainer.EvaluationPending)
                return CommandOutput.Fail(io.Error, string.Create(CultureInfo.InvariantCulture, $"the run in '{output.FullName}' is at step {trainer.Step} of {trainer.Settings.Steps}: there is nothing to resume."),
                    string.Create(CultureInfo.InvariantCulture, $"pass --steps N with N above {trainer.Step} to train further."), ExitCodes.UsageError);
            var start = resume ? "resuming at step " + trainer.Step.ToString(CultureInfo.InvariantCulture)
                : init is null ? "training" : $"training from {init.FullName}";
            io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{start}: {Describe(trainer.Settings)}; {trainer.TrainTokens:N0} train tokens."));
            var batchTokens = (long)trainer.Settings.BatchSize * trainer.Settings.ContextLength;
            if (trainer.TrainTokens < batchTokens)
                io.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"warning: the train split holds {trainer.TrainTokens:N0} tokens, fewer than one batch of windows ({trainer.Settings.BatchSize} × {trainer.Settings.ContextLength} = {batchTokens:N0}): every step sees the same few timelines, and the model will learn them by heart."));
            var result = WithProgress(CommandOutput.ConsoleFor(io.Output), trainer, cancellationToken);
            return Report(io, result, tokens, tokenizerFolder);
        }
        catch (ArgumentException e) when (!FileFailures.IsFileTooLarge(e))
        {
            return CommandOutput.Fail(io.Error, SettingsOptions.InOptionNames(e.Message), "see 'fhirrisk train --help' for each setting's meaning and range.", ExitCodes.UsageError);
        }
        catch (TrainingException e)
        {
            // A non-empty --out is a bad argument, as for the other verbs; the rest are problems with the data or the disk.
            var exitCode = e.Code is PretrainingErrorCodes.OutputNotEmpty or PretrainingErrorCodes.NotEnoughMemory ? ExitCodes.UsageError : ExitCodes.Failure;
            return CommandOutput.Fail(io.Error, e.Message, "see docs/training.md, 'Errors'.", exitCode);
        }
    }

    private static PretrainingResult WithProgress(IAnsiConsole console, Pretrainer trainer, CancellationToken cancellationToken)
    {
        var first = trainer.Step;
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                // The bar counts this session's steps, so the time left is estimated from this session's speed.
                var task = context.AddTask("training", maxValue: Math.Max(1, trainer.Settings.Steps - first));
                var result = trainer.Run(new StepProgress(task, first), cancellationToken);
                task.StopTask();
                return result;
            });
    }

    private static int Report(InvocationConfiguration io, PretrainingResult result, DirectoryInfo tokens, DirectoryInfo tokenizer)
    {
        var root = result.Directory.Root;
        if (result.NothingSaved)
        {
            io.Error.WriteLine($"stopped before the first step; nothing was saved ({root} was removed).");
            io.Error.WriteLine("hint: run the same command again to train.");
            return Interrupted;
        }
        var best = result.BestEvalLoss is { } loss ? string.Create(CultureInfo.InvariantCulture, $"best tuning loss {loss:0.0000} at step {result.BestStep}") : "no evaluation";
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{root}: step {result.Step}/{result.Steps}; training loss {result.FirstLoss:0.0000} -> {result.LastLoss:0.0000}; {best}; {result.TokensPerSecond:N0} tokens/s; {result.Elapsed.TotalSeconds:0.0} s."));
        io.Output.WriteLine($"metrics: {result.Directory.MetricsFile}; loss curve: {result.Directory.LossCurve}; resumable checkpoint: {result.Directory.LastCheckpoint}.");
        if (result.LossCurveNotWritten is { } why)
            io.Error.WriteLine($"warning: the loss curve {result.Directory.LossCurve} was not written ({why}); the run, its checkpoint and its model are saved, and {result.Directory.MetricsFile} holds the curve's numbers.");
        if (result.BestWeightsLost is { } lost)
            io.Error.WriteLine($"warning: {lost}");
        if (!result.Cancelled)
            return ExitCodes.Success;
        var abandoned = result.StepAbandoned ? string.Create(CultureInfo.InvariantCulture, $" (step {result.Step + 1}, under way, was abandoned: a resume takes it again)") : "";
        io.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stopped at step {result.Step} of {result.Steps}{abandoned}; the checkpoint is saved."));
        io.Error.WriteLine($"hint: continue with: fhirrisk train --tokens {tokens.FullName} --tokenizer {tokenizer.FullName} --out {root} --resume");
        return Interrupted;
    }

    private static string Describe(PretrainingSettings s) => string.Create(CultureInfo.InvariantCulture,
        $"{s.Layers} layers × {s.Channels} channels × {s.Heads} heads, context {s.ContextLength}, batch {s.BatchSize}, {s.Steps} steps, lr {s.LearningRate:G3} (warmup {s.WarmupSteps}), {s.Threads} threads");

    /// <summary>Moves the bar and shows the step, loss and throughput (Spectre tasks are thread-safe).</summary>
    private sealed class StepProgress(ProgressTask task, long first) : IProgress<PretrainingProgress>
    {
        public void Report(PretrainingProgress value)
        {
            task.Value = value.Step - first;
            var eval = value.BestEvalLoss is { } best ? string.Create(CultureInfo.InvariantCulture, $", best tuning {best:0.000}") : "";
            task.Description = string.Create(CultureInfo.InvariantCulture,
                $"step {value.Step}/{value.Steps}: loss {value.Metrics.Loss:0.000}{eval}, {value.TokensPerSecond:N0} tokens/s");
        }
    }

    /// <summary>One option per <see cref="PretrainingSettings"/> property, defaulting to <see cref="PretrainingSettings.Default"/>.</summary>
    private sealed class SettingsOptions
    {
        private static readonly PretrainingSettings Defaults = PretrainingSettings.Default;

        private readonly Option<int> _layers = CommandOptions.IntAtLeast("--layers", 1, Defaults.Layers, "Transformer blocks.");
        private readonly Option<int> _heads = CommandOptions.IntAtLeast("--heads", 1, Defaults.Heads, "Attention heads (must divide --channels).");
        private readonly Option<int> _channels = CommandOptions.IntAtLeast("--channels", 1, Defaults.Channels, "Width of the residual stream.");
        private readonly Option<int> _context = CommandOptions.IntAtLeast("--context", 2, Defaults.ContextLength, "Positions per window, static prefix included.");
        private readonly Option<float> _dropout = Number("--dropout", Defaults.Dropout, "Dropout probability in [0, 1).");
        private readonly Option<int> _batch = CommandOptions.IntAtLeast("--batch", 1, Defaults.BatchSize, "Windows per optimizer step.");
        private readonly Option<int> _steps = CommandOptions.IntAtLeast("--steps", 1, Defaults.Steps, "Optimizer steps of the whole run.");
        private readonly Option<double> _lr = LearningRateOption();
        private readonly Option<int> _warmup = CommandOptions.IntAtLeast("--warmup", 0, Defaults.WarmupSteps, "Steps of linear warmup (left out: the default, at most --steps).");
        private readonly Option<double> _minLr = Number("--min-lr-fraction", Defaults.MinLearningRateFraction, "The cosine's floor as a fraction of --lr.");
        private readonly Option<double> _weightDecay = Number("--weight-decay", Defaults.WeightDecay, "AdamW decoupled weight decay on matrices.");
        private readonly Option<float> _clip = Number("--clip", Defaults.GradientClip, "Clip the global gradient norm to this.");
        private readonly Option<int> _evalEvery = CommandOptions.IntAtLeast("--eval-every", 0, Defaults.EvalEvery, "Evaluate the tuning loss every N steps (0: never; a new run's last weights become the model, a resumed run that evaluated before keeps its best so far).");
        private readonly Option<int> _evalBatches = CommandOptions.IntAtLeast("--eval-batches", 1, Defaults.EvalBatches, "Batches of fixed tuning windows per evaluation.");
        private readonly Option<int> _checkpointEvery = CommandOptions.IntAtLeast("--checkpoint-every", 0, Defaults.CheckpointEvery, "Save the resumable checkpoint every N steps (0: only at the end or on Ctrl-C).");
        private readonly Option<ulong> _seed = new("--seed") { Description = "Seed of the weights, windows and dropout.", DefaultValueFactory = _ => Defaults.Seed };
        private readonly Option<int> _threads = CommandOptions.IntAtLeast("--threads", 1, Defaults.Threads, "Threads per CPU kernel (results do not depend on it).");
        private readonly Option<string> _windows = WindowsOption();

        /// <summary>The options a resumed run may change; the others would make a different run.</summary>
        private Option[] Changeable => [_steps, _threads, _evalEvery, _checkpointEvery];

        private Option[] All => [_layers, _heads, _channels, _context, _dropout, _batch, _steps, _lr, _warmup, _minLr, _weightDecay, _clip, _evalEvery, _evalBatches, _checkpointEvery, _seed, _threads, _windows];

        public void AddTo(Command command)
        {
            foreach (var option in All)
                command.Options.Add(option);
        }

        /// <summary>The option of each setting, so that an error names what the user typed.</summary>
        private static readonly (string Setting, string Option)[] OptionOf =
        [
            (nameof(PretrainingSettings.MinLearningRateFraction), "--min-lr-fraction"), (nameof(PretrainingSettings.LearningRate), "--lr"),
            (nameof(PretrainingSettings.WarmupSteps), "--warmup"), (nameof(PretrainingSettings.ContextLength), "--context"),
            (nameof(PretrainingSettings.BatchSize), "--batch"), (nameof(PretrainingSettings.WeightDecay), "--weight-decay"),
            (nameof(PretrainingSettings.GradientClip), "--clip"), (nameof(PretrainingSettings.EvalEvery), "--eval-every"),
            (nameof(PretrainingSettings.EvalBatches), "--eval-batches"), (nameof(PretrainingSettings.CheckpointEvery), "--checkpoint-every"),
            (nameof(PretrainingSettings.Layers), "--layers"), (nameof(PretrainingSettings.Heads), "--heads"),
            (nameof(PretrainingSettings.Channels), "--channels"), (nameof(PretrainingSettings.Dropout), "--dropout"),
            (nameof(PretrainingSettings.Steps), "--steps"), (nameof(PretrainingSettings.Threads), "--threads"),
        ];

        /// <summary>A settings message with <c>PretrainingSettings.X</c> and a bare <c>X</c> read as the options.</summary>
        public static string InOptionNames(string message) => SettingsOptionNames.Apply(message, nameof(PretrainingSettings), OptionOf);

        /// <summary>The settings of a new run. Left out, --warmup is the default but at most --steps, so a short run works.</summary>
        public PretrainingSettings Read(ParseResult parsed) => new()
        {
            Layers = parsed.GetValue(_layers),
            Heads = parsed.GetValue(_heads),
            Channels = parsed.GetValue(_channels),
            ContextLength = parsed.GetValue(_context),
            Dropout = parsed.GetValue(_dropout),
            BatchSize = parsed.GetValue(_batch),
            Steps = parsed.GetValue(_steps),
            LearningRate = parsed.GetValue(_lr),
            WarmupSteps = Given(parsed, _warmup) ? parsed.GetValue(_warmup) : Math.Min(parsed.GetValue(_warmup), parsed.GetValue(_steps)),
            MinLearningRateFraction = parsed.GetValue(_minLr),
            WeightDecay = parsed.GetValue(_weightDecay),
            GradientClip = parsed.GetValue(_clip),
            EvalEvery = parsed.GetValue(_evalEvery),
            EvalBatches = parsed.GetValue(_evalBatches),
            CheckpointEvery = parsed.GetValue(_checkpointEvery),
            Seed = parsed.GetValue(_seed),
            Threads = parsed.GetValue(_threads),
            Windows = parsed.GetValue(_windows) == "uniform" ? WindowSampling.Uniform : WindowSampling.Anchored,
        };

        /// <summary>--lr in (0, 10), the range finetune's --head-lr has: a rate of 10 or more only ever diverges. (The library
        /// takes any positive finite rate; tests use huge ones to make a step diverge.)</summary>
        private static Option<double> LearningRateOption() => new("--lr")
        {
            Description = "Peak learning rate, in (0, 10).",
            DefaultValueFactory = _ => Defaults.LearningRate,
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is > 0 and < 10)
                    return value;
                result.AddError($"--lr must be a number in (0, 10) (got '{text}').");
                return Defaults.LearningRate;
            },
        };

        private static Option<string> WindowsOption()
        {
            var option = new Option<string>("--windows")
            {
                Description = "How windows are drawn: 'anchored' (full windows; the ends of timelines half as often as their middles) or "
                    + "'uniform' (every token equally often, the ends included, with padding: for zero-shot rollouts and synthetic patients).",
                DefaultValueFactory = _ => "anchored",
            };
            option.AcceptOnlyFromAmong("anchored", "uniform");
            return option;
        }

        /// <summary>The first option given on the command line that a resume may not change, or null.</summary>
        public string? FixedOnResume(ParseResult parsed) =>
            All.Except(Changeable).FirstOrDefault(o => Given(parsed, o))?.Name;

        /// <summary>The saved settings with the changeable options that were given.</summary>
        public PretrainingSettings ChangeOnResume(ParseResult parsed, PretrainingSettings saved) => saved with
        {
            Steps = Given(parsed, _steps) ? parsed.GetValue(_steps) : saved.Steps,
            Threads = Given(parsed, _threads) ? parsed.GetValue(_threads) : saved.Threads,
            EvalEvery = Given(parsed, _evalEvery) ? parsed.GetValue(_evalEvery) : saved.EvalEvery,
            CheckpointEvery = Given(parsed, _checkpointEvery) ? parsed.GetValue(_checkpointEvery) : saved.CheckpointEvery,
        };

        private static bool Given(ParseResult parsed, Option option) => parsed.GetResult(option) is { Implicit: false };

        private static Option<T> Number<T>(string name, T defaultValue, string description) =>
            new(name) { Description = description, DefaultValueFactory = _ => defaultValue };
    }
}
