using FhirRisk.Meds.Ingestion;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>The ingest progress bar: bytes over both passes, with the phase and resources read in the description.</summary>
internal static class IngestProgressDisplay
{
    public static FhirIngestionSummary Run(IAnsiConsole console, Func<IProgress<FhirIngestionProgress>, FhirIngestionSummary> ingest)
    {
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("reading", maxValue: 1);
                var summary = ingest(new TaskProgress(task));
                task.Value = task.MaxValue;
                task.StopTask();
                return summary;
            });
    }

    /// <summary>Updates the task on the ingesting thread (Spectre tasks are thread-safe; no synchronization context needed).</summary>
    private sealed class TaskProgress(ProgressTask task) : IProgress<FhirIngestionProgress>
    {
        public void Report(FhirIngestionProgress value)
        {
            task.MaxValue = Math.Max(1, value.TotalBytes);
            task.Value = value.BytesRead;
            task.Description = $"{value.Phase}: {value.Resources:N0} resources";
        }
    }
}
