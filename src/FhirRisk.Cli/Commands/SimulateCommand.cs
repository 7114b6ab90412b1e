using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Synthetic;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk simulate --patients N --seed S --out &lt;dir&gt;</c> (issue 5 item 4): a synthetic cohort with known truth as
/// a FHIR R4 Bulk Data export plus <c>ground_truth.parquet</c> (docs/simulator.md, docs/formats/simulator-truth.md).
/// Shows a progress bar over patients, then the resources written and, per task, the prediction points, positive
/// rate, mean true probability and oracle AUROC. Exit 0 on success, 1 on an I/O failure, 2 on bad arguments or a
/// non-empty output folder.
/// </summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var patients = CommandOptions.IntAtLeast("--patients", minimum: 1, defaultValue: 1_000, "Patients to simulate.");
        var seed = new Option<ulong>("--seed") { Description = "Random seed: the same seed gives byte-identical output.", DefaultValueFactory = _ => 1 };
        var output = new Option<DirectoryInfo>("--out") { Description = "The export folder to write (created; must hold no files).", Required = true };
        var command = new Command("simulate", "Simulate a cohort with ground-truth risks as FHIR R4 NDJSON (Bulk Data layout) and a truth table.")
        {
            patients, seed, output,
        };
        command.SetAction((parsed, cancellationToken) => Task.FromResult(Run(
            new SimulationSettings
            {
                OutputFolder = parsed.GetRequiredValue(output).FullName,
                Patients = parsed.GetValue(patients),
                Seed = parsed.GetValue(seed),
            },
            parsed.InvocationConfiguration,
            cancellationToken)));
        return command;
    }

    private static int Run(SimulationSettings settings, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        var console = CommandOutput.ConsoleFor(io.Output);
        SimulationSummary summary;
        try
        {
            summary = console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var task = context.AddTask("simulating", maxValue: settings.Patients);
                    var result = new CohortSimulator(settings).Run(new TaskProgress(task), cancellationToken);
                    task.StopTask();
                    return result;
                });
        }
        catch (IOException e) when (e.Message.Contains("is not empty", StringComparison.Ordinal))
        {
            return CommandOutput.Fail(io.Error, e.Message, "choose a new --out folder.", ExitCodes.UsageError);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            return CommandOutput.Fail(io.Error, e.Message, FileFailures.Hint(e));
        }

        WriteTables(console, summary);
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{settings.OutputFolder}: {summary.ResourceCount:N0} resources for {summary.Patients:N0} patients ({summary.Deaths:N0} died) in {summary.Elapsed.TotalSeconds:0.0} s; truth in ground_truth.parquet."));
        return ExitCodes.Success;
    }

    private static void WriteTables(IAnsiConsole console, SimulationSummary summary)
    {
        var resources = new Table().Title("Resources by type").AddColumns("Type", "Resources");
        foreach (var (type, count) in summary.Resources)
            resources.AddRow(type, Number(count));
        resources.Columns[1].RightAligned();
        console.Write(resources);

        var tasks = new Table().Title("Ground truth per task").AddColumns("Task", "Prediction points", "Positives", "Rate", "Mean true p", "Oracle AUROC", "Observable AUROC", "Record AUROC");
        foreach (var task in summary.Tasks)
        {
            tasks.AddRow(task.Task, Number(task.PredictionPoints), Number(task.Positives), Fraction(task.PositiveRate),
                Fraction(task.MeanProbability), Fraction(task.OracleAuroc), Fraction(task.ObservableAuroc), Fraction(task.RecordAuroc));
        }
        tasks.Columns[0].NoWrap();
        for (var i = 1; i < tasks.Columns.Count; i++)
            tasks.Columns[i].RightAligned();
        console.Write(tasks);
    }

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Fraction(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>Updates the bar from the simulating thread (Spectre tasks are thread-safe).</summary>
    private sealed class TaskProgress(ProgressTask task) : IProgress<SimulationProgress>
    {
        public void Report(SimulationProgress value)
        {
            task.Value = value.PatientsDone;
            task.Description = $"simulating: {value.PatientsDone:N0}/{value.Patients:N0} patients";
        }
    }
}
