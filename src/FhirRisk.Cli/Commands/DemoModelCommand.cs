using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Meds;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Parquet;
using FhirRisk.Training;
using FhirRisk.Training.Demo;
using FhirRisk.Training.Evaluation;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk demo-model [--out models/demo] [--patients N] [--validation-patients N] [--seed S] [--threads N] [--quick] [--work &lt;dir&gt;]
/// [--keep-work]</c> (issue 6 item 6, docs/demo-model.md): simulates a cohort, then ingests, tokenizes, labels, pretrains,
/// finetunes, probes, evaluates and validates on an independent cohort in-process (<see cref="DemoModelBuilder"/>), with one progress bar per stage and a
/// summary at the end. Exit 0 on success, 1 when a stage fails, 2 on bad arguments (a non-empty --out or --work), 130
/// on Ctrl-C.
/// </summary>
internal static class DemoModelCommand
{
    /// <summary>128 + SIGINT.</summary>
    private const int Interrupted = 130;

    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "The demo model folder to write (new or empty).", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("models", "demo")) };
        var quick = new Option<bool>("--quick") { Description = "The shortened recipe (CI): a small cohort and model, well under a minute on 2 cores." };
        var patients = CommandOptions.IntAtLeast("--patients", minimum: 0, defaultValue: 0, $"Patients to simulate (0: the recipe's, {DemoRecipe.Full.Patients:N0} or {DemoRecipe.Quick.Patients:N0} with --quick).");
        var seed = new Option<ulong>("--seed") { Description = "The run's one seed (cohort, weights, windows, heads, folds, k-shot draws).", DefaultValueFactory = _ => 1 };
        var validationPatients = CommandOptions.IntAtLeast("--validation-patients", minimum: -1, defaultValue: -1,
            $"Patients of the independent validation cohort the finished heads are scored on (-1: the recipe's, {DemoRecipe.Full.ValidationPatients:N0} or {DemoRecipe.Quick.ValidationPatients:N0} with --quick; 0: none).");
        var threads = CommandOptions.IntAtLeast("--threads", minimum: 1, defaultValue: Environment.ProcessorCount, "Threads of the CPU kernels, tokenizer and probes.");
        var work = new Option<DirectoryInfo?>("--work") { Description = "Folder for the intermediates (new or empty); default: a new folder in the system temp folder." };
        var keepWork = new Option<bool>("--keep-work") { Description = "Keep the work folder (cohort, MEDS, tokens, labels, checkpoints, predictions) instead of deleting it." };
        var command = new Command("demo-model", "Simulate a cohort and build, evaluate and save the small demo model the service embeds.")
        {
            output, quick, patients, validationPatients, seed, threads, work, keepWork,
        };
        command.SetAction((parsed, cancellationToken) =>
        {
            var recipe = parsed.GetValue(quick) ? DemoRecipe.Quick : DemoRecipe.Full;
            recipe = recipe with { Seed = parsed.GetValue(seed), Threads = parsed.GetValue(threads) };
            if (parsed.GetValue(patients) is > 0 and var count)
                recipe = recipe with { Patients = count };
            if (parsed.GetValue(validationPatients) is >= 0 and var validation)
                recipe = recipe with { ValidationPatients = validation };
            var workFolder = parsed.GetValue(work)?.FullName ?? Path.Combine(Path.GetTempPath(), $"fhirrisk-demo-{Guid.NewGuid():N}");
            return Task.FromResult(Run(recipe, parsed.GetRequiredValue(output).FullName, workFolder, parsed.GetValue(keepWork), parsed.InvocationConfiguration, cancellationToken));
        });
        return command;
    }

    private static int Run(DemoRecipe recipe, string output, string work, bool keepWork, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        var console = CommandOutput.ConsoleFor(io.Output);
        var workExisted = Directory.Exists(work) && Directory.EnumerateFileSystemEntries(work).Any();
        try
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"demo-model ({recipe.Name}): {recipe.Patients:N0} patients, seed {recipe.Seed}, {recipe.Threads} threads; work folder {work}."));
            var result = WithProgress(console, progress => DemoModelBuilder.Run(recipe, new SimulatedDemoCohort(), output, work, progress, cancellationToken));
            Report(console, io, result);
            return ExitCodes.Success;
        }
        catch (OperationCanceledException)
        {
            io.Error.WriteLine($"stopped; '{output}' is incomplete: delete it before running again.");
            return Interrupted;
        }
        catch (TrainingException e)
        {
            var code = e.Code is DemoErrorCodes.FolderNotEmpty or DemoErrorCodes.TooFewPatients ? ExitCodes.UsageError : ExitCodes.Failure;
            return CommandOutput.Fail(io.Error, e.Message, "see docs/demo-model.md, 'Errors'.", code);
        }
        catch (ArgumentException e) when (!FileFailures.IsFileTooLarge(e))
        {
            return CommandOutput.Fail(io.Error, e.Message, "see 'fhirrisk demo-model --help'.", ExitCodes.UsageError);
        }
        catch (EvaluationInputException e)
        {
            // A backstop: the builder checks the held-out split before the expensive stages, but a small validation
            // cohort (or a split without both classes) can still leave an evaluation with nothing to evaluate.
            return CommandOutput.Fail(io.Error, $"[{DemoErrorCodes.StageFailed}] evaluation: {e.Issue}",
                e.Hint ?? "simulate more patients (--patients, --validation-patients); see docs/demo-model.md, 'Errors'.");
        }
        catch (Exception e) when (e is MedsFormatException or ParquetException or CheckpointException or InvalidDataException || FileFailures.IsFileFailure(e))
        {
            return CommandOutput.Fail(io.Error, e.Message, "check that the disk has room (the full recipe's work folder takes about 6 GB) and the folders are writable.");
        }
        finally
        {
            // A --work folder that held files before was refused, never written: leave it alone.
            if (!keepWork && !workExisted && Directory.Exists(work))
                Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>One bar per stage, added when the stage starts and completed when the next begins.</summary>
    private static DemoModelResult WithProgress(IAnsiConsole console, Func<IProgress<DemoProgress>, DemoModelResult> run) =>
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context => run(new StageBars(context)));

    private static void Report(IAnsiConsole console, InvocationConfiguration io, DemoModelResult result)
    {
        var stages = new Table().Title("Stages").AddColumns("Stage", "Seconds", "Summary");
        stages.Columns[1].RightAligned();
        foreach (var stage in result.Stages)
            stages.AddRow(Markup.Escape(stage.Stage), Seconds(stage.Elapsed), Markup.Escape(stage.Summary));
        stages.AddRow("total", Seconds(result.Elapsed), "");
        console.Write(stages);

        console.Write(TaskTable("Held-out AUROC per task (heads: 95% CI; oracle: the simulator's truth on the same points)", result.Tasks,
            ("Probe", t => t.Probe), ("Count baseline", t => t.CountBaseline)));
        if (result.Validation is { } v)
        {
            console.Write(TaskTable(string.Create(CultureInfo.InvariantCulture,
                $"Validation cohort ({v.Patients:N0} new patients, seed {v.Seed}): heads AUROC (95% CI) and ECE against the simulator's truth"), v.Tasks,
                ("Record reference", t => t.RecordReference)));
        }

        var l = result.Losses;
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pretraining loss {l.PretrainFirst:0.000} -> {l.PretrainLast:0.000} (tuning {l.EvalFirst:0.000} -> {l.EvalLast:0.000}, {l.TokensPerSecond:N0} tokens/s); finetuning loss {l.FinetuneFirst:0.000} -> {l.FinetuneLast:0.000}."));
        foreach (var m in result.Macro)
        {
            io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"macro-AUROC at k={(m.KShot is { } k ? k.ToString(CultureInfo.InvariantCulture) : "all")}: probe {Metric(m.Probe)}, count baseline {Metric(m.CountBaseline)} ({m.Tasks} tasks)."));
        }
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{result.OutputFolder}: {result.OutputBytes / 1e6:0.00} MB (model, {DemoModelLayout.PretrainedFolder}/, {DemoModelLayout.ReportFolder}/, {DemoModelLayout.RecipeFile}, {DemoModelLayout.AcceptanceFile}) in {result.Elapsed.TotalMinutes:0.0} min."));
    }

    /// <summary>One row per task: points, heads AUROC with its interval, oracle, the <paramref name="extra"/> columns, heads ECE.</summary>
    private static Table TaskTable(string title, IReadOnlyList<DemoTaskResult> rows, params (string Header, Func<DemoTaskResult, double> Value)[] extra)
    {
        var table = new Table().Title(title).AddColumns(["Task", "Points (pos)", "Heads", "Oracle", .. extra.Select(e => e.Header), "Heads ECE"]);
        foreach (var column in table.Columns.Skip(1))
            column.RightAligned();
        foreach (var t in rows)
        {
            table.AddRow([Markup.Escape(t.Task), string.Create(CultureInfo.InvariantCulture, $"{t.Points:N0} ({t.Positives:N0})"),
                $"{Metric(t.Heads.Value)} ({Metric(t.Heads.Lower)}-{Metric(t.Heads.Upper)})", Metric(t.Oracle), .. extra.Select(e => Metric(e.Value(t))), Metric(t.HeadsEce)]);
        }
        return table;
    }

    private static string Seconds(TimeSpan elapsed) => elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Metric(double value) => double.IsFinite(value) ? value.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>Keeps one Spectre task per stage (Spectre tasks are thread-safe; reports come from the running stage).</summary>
    private sealed class StageBars(ProgressContext context) : IProgress<DemoProgress>
    {
        private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);

        public void Report(DemoProgress value)
        {
            if (!_tasks.TryGetValue(value.Stage, out var task))
            {
                foreach (var previous in _tasks.Values.Where(t => !t.IsFinished))
                {
                    previous.Value = previous.MaxValue;
                    previous.StopTask();
                }
                _tasks[value.Stage] = task = context.AddTask(value.Stage, maxValue: 1);
            }
            task.MaxValue = Math.Max(1, value.Total);
            task.Value = Math.Min(value.Done, task.MaxValue);
            task.Description = Markup.Escape($"{value.Stage}: {value.Detail}");
        }
    }
}
