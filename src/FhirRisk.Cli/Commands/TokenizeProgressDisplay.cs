using FhirRisk.Tokenizer;
using Spectre.Console;

namespace FhirRisk.Cli.Commands;

/// <summary>The tokenize progress bar: shards finished, with events and tokens so far in the description.</summary>
internal static class TokenizeProgressDisplay
{
    public static TokenizationSummary Run(IAnsiConsole console, Func<IProgress<TokenizationProgress>, TokenizationSummary> tokenize)
    {
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("tokenizing", maxValue: 1);
                var summary = tokenize(new TaskProgress(task));
                task.Value = task.MaxValue;
                task.StopTask();
                return summary;
            });
    }

    /// <summary>Updates the task from the encoding threads (Spectre tasks are thread-safe).</summary>
    private sealed class TaskProgress(ProgressTask task) : IProgress<TokenizationProgress>
    {
        public void Report(TokenizationProgress value)
        {
            task.MaxValue = Math.Max(1, value.Shards);
            task.Value = value.ShardsDone;
            task.Description = $"{value.ShardsDone}/{value.Shards} shards: {value.Events:N0} events, {value.Tokens:N0} tokens";
        }
    }
}
