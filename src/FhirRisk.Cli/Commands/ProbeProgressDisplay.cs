using FhirRisk.Training.Probes;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>The probe's progress bar: one bar that follows the current stage (reading subjects, embedding, fitting).</summary>
internal static class ProbeProgressDisplay
{
    public static ProbeResult Run(IAnsiConsole console, Func<IProgress<ProbeProgress>, ProbeResult> run) =>
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("reading", maxValue: 1);
                var result = run(new StageProgress(task));
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });

    /// <summary>Updates the bar from the probe's thread (Spectre tasks are thread-safe).</summary>
    private sealed class StageProgress(ProgressTask task) : IProgress<ProbeProgress>
    {
        public void Report(ProbeProgress value)
        {
            task.MaxValue = Math.Max(1, value.Total);
            task.Value = value.Done;
            task.Description = $"{value.Stage} {value.Done:N0}/{value.Total:N0}";
        }
    }
}
