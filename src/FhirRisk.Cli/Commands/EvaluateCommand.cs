using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Core.Statistics;
using FhirRisk.Parquet;
using FhirRisk.Training.Evaluation;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk evaluate &lt;predictions.parquet...&gt; --out &lt;dir&gt; [--bootstrap N] [--seed S]</c> (issue 6 item 5):
/// AUROC, AUPRC, Brier score and ECE per task and method with patient-bootstrap 95% intervals, k-shot curves, and a
/// report folder (docs/evaluation.md; input format docs/formats/predictions.md). A task whose labels have one class
/// only is reported with its AUROC/AUPRC undefined and a warning. Exit 0 on success, 1 when the predictions cannot be
/// read or do not match each other, 2 on bad arguments (a missing file, an --out that holds a report).
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var files = new Argument<FileInfo[]>("predictions") { Description = "Predictions files (Parquet, docs/formats/predictions.md).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<DirectoryInfo>("--out") { Description = "Report folder: summary.md, summary.html, metrics.json, plots/.", Required = true };
        var replicates = CommandOptions.IntAtLeast("--bootstrap", minimum: 1, defaultValue: 1000, "Bootstrap replicates for the 95% intervals (patients resampled).");
        var seed = new Option<ulong>("--seed") { Description = "Seed of the bootstrap: the same seed gives the same intervals.", DefaultValueFactory = _ => 0 };
        var references = new Option<string[]>("--reference")
        {
            Description = "A method every other method of a task is compared with: AUROC difference, paired bootstrap (repeatable; 'none': no comparisons). [default: oracle, where the inputs hold it]",
        };
        var commonPoints = new Option<bool>("--common-points")
        {
            Description = "Evaluate each task on the points every input predicted (e.g. rollouts sampled with 'predict --limit' beside the heads' every point), leaving out the rest with a warning; without it, inputs that cover different points are an error.",
        };
        var command = new Command("evaluate", "Evaluate predictions: metrics with patient-bootstrap intervals, k-shot curves, and a report with plots.")
        {
            files, output, replicates, seed, references, commonPoints,
        };
        command.SetAction((parsed, cancellationToken) => Task.FromResult(Run(
            parsed.GetRequiredValue(files),
            parsed.GetRequiredValue(output),
            new BootstrapSettings { Replicates = parsed.GetValue(replicates), Seed = parsed.GetValue(seed) },
            parsed.GetValue(references) is { Length: > 0 } named ? named : null,
            parsed.GetValue(commonPoints),
            parsed.InvocationConfiguration,
            cancellationToken)));
        return command;
    }

    private static int Run(FileInfo[] files, DirectoryInfo output, BootstrapSettings bootstrap, string[]? references, bool commonPoints, InvocationConfiguration io,
        CancellationToken cancellationToken)
    {
        if (references is not null && references.Contains("none", StringComparer.Ordinal))
        {
            if (references.Length > 1)
                return CommandOutput.Fail(io.Error, "--reference none cannot be combined with named references.", "pass either 'none' or the methods to compare with.", ExitCodes.UsageError);
            references = [];
        }
        if (files.FirstOrDefault(f => !f.Exists) is { } missing)
            return CommandOutput.Fail(io.Error, $"'{missing}' does not exist.", "pass predictions files written by fhirrisk (finetune, probe, baselines) or by hand (docs/formats/predictions.md).", ExitCodes.UsageError);
        if (files.Select(f => f.Name).GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            return CommandOutput.Fail(io.Error, $"two inputs are named '{twice.Key}'; the report names files by their name.", "rename one of them.", ExitCodes.UsageError);
        if (File.Exists(Path.Combine(output.FullName, EvaluationReportWriter.MetricsFile)))
            return CommandOutput.Fail(io.Error, $"'{output}' already holds a report.", "choose a new --out folder.", ExitCodes.UsageError);

        var console = CommandOutput.ConsoleFor(io.Output);
        EvaluationResult result;
        try
        {
            var predictions = PredictionSet.Load([.. files.Select(f => f.FullName)], commonPoints);
            // A reference is compared on its all-data runs (k-shot runs are curves, not paired comparisons).
            var methods = predictions.Runs.Keys.Where(r => r.KShot is null).Select(r => r.Method).ToHashSet(StringComparer.Ordinal);
            if (references?.FirstOrDefault(r => !methods.Contains(r)) is { } absent)
                return CommandOutput.Fail(io.Error, $"--reference {absent}: no input holds all-data predictions of method '{absent}' (methods: {string.Join(", ", methods.Order(StringComparer.Ordinal))}); k-shot runs are not compared.",
                    "name a method the inputs hold, or pass its predictions file.", ExitCodes.UsageError);
            result = WithProgress(console, progress => PredictionEvaluator.Evaluate(predictions, bootstrap, progress, references, cancellationToken));
            // A Ctrl-C during the last run's bootstrap is answered here: no report of a run the user stopped.
            cancellationToken.ThrowIfCancellationRequested();
            EvaluationReportWriter.Write(output.FullName, result);
        }
        catch (EvaluationInputException e)
        {
            return CommandOutput.Fail(io.Error, e.Issue.ToString(), e.Hint ?? "see docs/formats/predictions.md for the expected columns.");
        }
        catch (ParquetException e)
        {
            return CommandOutput.Fail(io.Error, e.Message, "check that every input is a Parquet predictions file (docs/formats/predictions.md).");
        }
        catch (IOException e) when (e.Message.Contains("already holds a report", StringComparison.Ordinal))
        {
            return CommandOutput.Fail(io.Error, e.Message, "choose a new --out folder.", ExitCodes.UsageError);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            return CommandOutput.Fail(io.Error, e.Message, "check that the inputs are readable, the output folder writable, and the disk has room.");
        }

        console.Write(SummaryTable(result));
        foreach (var comparison in result.Comparisons)
            io.Output.WriteLine($"{comparison.Task}: {comparison.Describe(result.Bootstrap.Replicates)} (paired bootstrap)");
        foreach (var warning in result.Warnings)
            io.Error.WriteLine($"warning: {warning.Path}: {warning.Message} ({warning.Code})");
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{output.FullName}: summary.md, summary.html, metrics.json and plots/ for {result.Tasks.Count} task(s), {result.Methods.Count} method(s)."));
        return ExitCodes.Success;
    }

    private static EvaluationResult WithProgress(IAnsiConsole console, Func<IProgress<EvaluationProgress>, EvaluationResult> run) =>
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("evaluating", maxValue: 1);
                var result = run(new RunProgress(task));
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });

    private static Table SummaryTable(EvaluationResult result)
    {
        var requested = result.Bootstrap.Replicates;
        var table = new Table().Title("Metrics with 95% CI (patients resampled)").AddColumns("Task", "Method", "Positives", "AUROC", "AUPRC", "Brier", "ECE");
        var fewer = result.Runs.Any(r => Estimates(r.Metrics).Any(e => e.IsDefined && e.Replicates < requested));
        if (fewer)
            table.Caption(Invariant($"(n/{requested}): the interval used n of the {requested} replicates, those where the metric was defined"));
        table.Columns[0].NoWrap();
        table.Columns[1].NoWrap();
        for (var i = 2; i < table.Columns.Count; i++)
            table.Columns[i].RightAligned();
        foreach (var run in result.Runs)
        {
            var m = run.Metrics;
            table.AddRow(Markup.Escape(run.Task), Markup.Escape(run.Method), $"{Count(m.Positives)}\nof {Count(m.Predictions)}",
                Cell(m.Auroc, "F3", requested), Cell(m.AveragePrecision, "F3", requested), Cell(m.BrierScore, "F4", requested), Cell(m.ExpectedCalibrationError, "F4", requested));
        }
        return table;
    }

    private static MetricEstimate[] Estimates(BinaryEvaluation m) => [m.Auroc, m.AveragePrecision, m.BrierScore, m.ExpectedCalibrationError];

    /// <summary>The value over its interval on a second line, so that seven columns fit 120 characters; on a third,
    /// "(165/200)" when the interval used fewer replicates than were drawn.</summary>
    private static string Cell(MetricEstimate estimate, string format, int requested) =>
        !estimate.IsDefined ? "undefined"
        : (double.IsNaN(estimate.Lower) ? Number(estimate.Value, format) : $"{Number(estimate.Value, format)}\n{Number(estimate.Lower, format)}-{Number(estimate.Upper, format)}")
            + (estimate.Replicates < requested ? Invariant($"\n({estimate.Replicates}/{requested})") : "");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Updates the bar from the evaluating thread (Spectre tasks are thread-safe).</summary>
    private sealed class RunProgress(ProgressTask task) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value)
        {
            task.MaxValue = Math.Max(1, value.Runs);
            task.Value = value.RunsDone;
            task.Description = $"bootstrap {value.RunsDone}/{value.Runs}";
        }
    }
}
