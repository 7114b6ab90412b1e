using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Parquet;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk labels &lt;meds-dir&gt; --task &lt;name|all&gt; --out &lt;dir&gt; [--prolonged-stay-days N]</c> (issue 5):
/// MEDS label files and per-stay tables for the DESIGN §6 tasks (docs/formats/labels.md, docs/tasks.md). Shows a
/// progress bar over the event shards, then points, labels, positives and prevalence per task. Exit 0 on success,
/// 1 when the dataset cannot be read, 2 on bad arguments (unknown task, labels already in --out).
/// </summary>
internal static class LabelsCommand
{
    public static Command Create()
    {
        var dataset = MedsCommand.DatasetArgument();
        var task = new Option<string>("--task")
        {
            Description = $"The task to label, or 'all'. Tasks: {string.Join(", ", TaskCatalog.Create().Select(t => t.Name))}.",
            DefaultValueFactory = _ => "all",
        };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for labels/<task>/ and stays/<task>.parquet.", Required = true };
        var prolongedDays = CommandOptions.IntAtLeast("--prolonged-stay-days", minimum: 1, defaultValue: 10, "Stays of at least this many days are prolonged (prolonged_los, composite).");
        var command = new Command("labels", "Write MEDS label files and per-stay evaluation tables for the prediction tasks.")
        {
            dataset, task, output, prolongedDays,
        };
        command.SetAction((parsed, cancellationToken) => Task.FromResult(Run(
            parsed.GetRequiredValue(dataset),
            parsed.GetRequiredValue(task),
            parsed.GetRequiredValue(output),
            new TaskParameters { ProlongedStay = TimeSpan.FromDays(parsed.GetValue(prolongedDays)) },
            parsed.InvocationConfiguration,
            cancellationToken)));
        return command;
    }

    private static int Run(DirectoryInfo folder, string taskName, DirectoryInfo output, TaskParameters parameters, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        var catalog = TaskCatalog.Create(parameters);
        if (TaskCatalog.Select(catalog, taskName) is not { } tasks)
            return CommandOutput.Fail(io.Error, $"unknown task '{taskName}'.", $"use 'all' or one of: {string.Join(", ", catalog.Select(t => t.Name))}.", ExitCodes.UsageError);

        if (File.Exists(output.FullName))
            return CommandOutput.Fail(io.Error, $"--out '{output.FullName}' is a file.", "choose a new --out folder.", ExitCodes.UsageError);
        var console = CommandOutput.ConsoleFor(io.Output);
        IReadOnlyList<TaskLabelSummary> summaries;
        try
        {
            // Labels of one folder are of one definition: finetuning records it with the heads (task_parameters.json).
            var earlier = TaskParametersFile.Read(output.FullName);
            if (earlier is not null && TaskParametersFile.Differences(earlier, parameters) is { Count: > 0 } differences)
                return CommandOutput.Fail(io.Error, $"--out '{output.FullName}' holds labels made with other task parameters ({string.Join("; ", differences)}).",
                    "choose a new --out folder, or label with the same parameters.", ExitCodes.UsageError);
            if (earlier is null && (Directory.Exists(Path.Combine(output.FullName, "labels")) || Directory.Exists(Path.Combine(output.FullName, "stays"))))
                return CommandOutput.Fail(io.Error, $"--out '{output.FullName}' holds labels without a record of the task parameters they were made with ({TaskParametersFile.FileName}).",
                    "choose a new --out folder.", ExitCodes.UsageError);
            var dataset = MedsDatasetReader.Open(folder.FullName);
            if (dataset.Shards.Count == 0)
                return CommandOutput.Fail(io.Error, $"'{folder}' holds no event shards (data/**/*.parquet).", "point at the folder that contains data/ and metadata/.", ExitCodes.UsageError);
            // Written before the labels, so labels are never on disk without it.
            TaskParametersFile.Write(output.FullName, parameters);
            summaries = WithProgress(console, progress => TaskLabelExtraction.Run(dataset, tasks, output.FullName, progress, cancellationToken: cancellationToken));
        }
        catch (IOException e) when (e.Message.Contains("already exist", StringComparison.Ordinal))
        {
            return CommandOutput.Fail(io.Error, e.Message, "choose a new --out folder.", ExitCodes.UsageError);
        }
        catch (InvalidDataException e) when (e.Message.Contains(TaskParametersFile.FileName, StringComparison.Ordinal))
        {
            return CommandOutput.Fail(io.Error, e.Message, "choose a new --out folder.", ExitCodes.UsageError);
        }
        catch (Exception e) when (e is MedsFormatException or ParquetException || FileFailures.IsFileFailure(e))
        {
            var message = e is MedsFormatException meds ? meds.Issue.ToString() : e.Message;
            return CommandOutput.Fail(io.Error, message, $"run 'fhirrisk meds validate {folder}' to list every problem.");
        }

        console.Write(SummaryTable(tasks, summaries));
        foreach (var warning in Warnings(tasks, summaries))
            io.Error.WriteLine(warning);
        io.Output.WriteLine($"{output.FullName}: labels/<task>/ (MEDS labels) and stays/<task>.parquet for {summaries.Count} task(s).");
        return ExitCodes.Success;
    }

    private static IReadOnlyList<TaskLabelSummary> WithProgress(IAnsiConsole console, Func<IProgress<TaskLabelProgress>, IReadOnlyList<TaskLabelSummary>> run) =>
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("labeling", maxValue: 1);
                var summaries = run(new ShardProgress(task));
                task.Value = task.MaxValue;
                task.StopTask();
                return summaries;
            });

    private static Table SummaryTable(IReadOnlyList<TaskDefinition> tasks, IReadOnlyList<TaskLabelSummary> summaries)
    {
        // "Known early" and "Unresolved" points are left out of the MEDS labels (docs/tasks.md "Left-out points").
        var table = new Table().Title("Task labels").AddColumns("Task", "Prediction point", "Points", "Labeled", "Positives", "Prevalence", "Known early", "Unresolved");
        table.Columns[0].NoWrap();
        table.Columns[1].NoWrap();
        foreach (var column in table.Columns.Skip(2))
            column.RightAligned();
        foreach (var (task, summary) in tasks.Zip(summaries))
        {
            table.AddRow(Markup.Escape(task.Name), Markup.Escape(summary.PredictionPoint), Count(summary.Points), Count(summary.Labeled), Count(summary.Positives),
                summary.Labeled == 0 ? "-" : summary.Prevalence.ToString("P1", CultureInfo.InvariantCulture), Count(summary.KnownAtPrediction), Count(summary.Unresolved));
        }
        return table;
    }

    /// <summary>
    /// Tasks whose labels say more about the export than about the patients: points whose outcome shares the
    /// prediction time, where they are most of the points or the task is left without positives (an export that opens
    /// the hospital stay at ED arrival leaves ed_hospitalization none), and tasks with no positive at all.
    /// </summary>
    internal static IEnumerable<string> Warnings(IReadOnlyList<TaskDefinition> tasks, IReadOnlyList<TaskLabelSummary> summaries)
    {
        var withoutPositives = new List<string>();
        var withoutPoints = new List<TaskDefinition>();
        foreach (var (task, summary) in tasks.Zip(summaries))
        {
            if (summary.Points == 0)
            {
                withoutPoints.Add(task);
                continue;
            }
            var noPositive = summary.Labeled > 0 && summary.Positives == 0;
            if (summary.KnownAtPrediction > 0 && (noPositive || summary.KnownAtPrediction * 2 > summary.Points))
                yield return $"warning: {Count(summary.KnownAtPrediction)} of {Count(summary.Points)} {task.Name} points have their outcome at the prediction time itself and are "
                    + $"left out (docs/tasks.md \"Left-out points\"){(noPositive ? ", leaving no positive" : "")}: the export may record the outcome at the same instant as "
                    + "the point (a hospital stay that starts at ED arrival).";
            else if (noPositive)
                withoutPositives.Add(task.Name);
        }
        if (withoutPositives.Count > 0)
            yield return $"warning: no positive label for {string.Join(", ", withoutPositives)}: {(withoutPositives.Count == 1 ? "it" : "they")} cannot be trained or evaluated on this dataset.";
        // A dataset whose stays are written with other codes (ADMISSION//…, as some MEDS extractions do) gives no point at
        // all, which read as a clean run (CLI review s10 #6): name the codes the tasks look for.
        if (withoutPoints.Count > 0)
            yield return $"warning: no prediction point for {string.Join(", ", withoutPoints.Select(t => t.Name))}: the dataset holds no event whose code starts "
                + $"with {string.Join(" or ", withoutPoints.Select(t => t.Point.AnchorCode).Distinct(StringComparer.Ordinal))} (the stay codes of docs/tasks.md); "
                + "map the source's stay events to them, or these tasks cannot be labelled.";
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Updates the bar on the labeling thread (Spectre tasks are thread-safe).</summary>
    private sealed class ShardProgress(ProgressTask task) : IProgress<TaskLabelProgress>
    {
        public void Report(TaskLabelProgress value)
        {
            task.MaxValue = Math.Max(1, value.Shards);
            task.Value = value.ShardsDone;
            task.Description = $"shard {value.ShardsDone}/{value.Shards}: {value.Subjects:N0} subjects";
        }
    }
}
