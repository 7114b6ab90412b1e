using System.CommandLine;
using System.Globalization;
using FhirRisk.Meds;
using FhirRisk.Parquet;
using FhirRisk.Tokenizer;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk tokenize &lt;meds-dir&gt; --tokenizer &lt;dir&gt; --out &lt;dir&gt; [--split S]… [--parallel N]</c> (issue 5):
/// encodes every MEDS shard into a token shard (docs/formats/token-shard.md) with a progress bar. The tokenizer must
/// already exist: fitting is the separate, explicit <c>fhirrisk tokenize fit</c> (<see cref="TokenizeFitCommand"/>), so
/// that a mistyped directory can never silently fit a new language on the wrong data. Exit 0 on success, 1 when the
/// data or tokenizer cannot be read, 2 on bad arguments.
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var dataset = MedsCommand.DatasetArgument();
        var tokenizer = new Option<DirectoryInfo>("--tokenizer") { Description = "The model directory holding tokenizer.json and vocabulary.tsv.", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "The folder to write <split>/<n>.tokens and manifest.json to (new or empty).", Required = true };
        var splits = new Option<string[]>("--split") { Description = "Only these splits (repeatable); all by default.", AllowMultipleArgumentsPerToken = true };
        var parallel = CommandOptions.IntAtLeast("--parallel", minimum: 1, defaultValue: Environment.ProcessorCount, "Shards encoded at once.");
        var command = new Command("tokenize", "Encode a MEDS dataset into token shards with a fitted tokenizer ('tokenize fit' fits one).")
        {
            dataset, tokenizer, output, splits, parallel, TokenizeFitCommand.Create(),
        };
        command.SetAction((parsed, cancellationToken) => Task.FromResult(Run(
            parsed.GetRequiredValue(dataset),
            parsed.GetRequiredValue(tokenizer),
            parsed.GetRequiredValue(output),
            parsed.GetValue(splits) is { Length: > 0 } chosen ? chosen : null,
            parsed.GetValue(parallel),
            parsed.InvocationConfiguration,
            cancellationToken)));
        return command;
    }

    private static int Run(DirectoryInfo folder, DirectoryInfo model, DirectoryInfo output, string[]? splits, int parallel, InvocationConfiguration io, CancellationToken cancellationToken)
    {
        TimelineTokenizer tokenizer;
        try
        {
            tokenizer = TimelineTokenizer.Load(model.FullName);
        }
        catch (FileNotFoundException)
        {
            return CommandOutput.Fail(io.Error, $"no tokenizer in '{model.FullName}'.",
                $"fit one first: fhirrisk tokenize fit {folder} --out {model}", ExitCodes.UsageError);
        }
        catch (InvalidDataException e)
        {
            return CommandOutput.Fail(io.Error, e.Message, "refit the tokenizer with 'fhirrisk tokenize fit'.");
        }

        var console = CommandOutput.ConsoleFor(io.Output);
        TokenizationSummary summary;
        try
        {
            var dataset = MedsDatasetReader.Open(folder.FullName);
            if (dataset.Shards.Count == 0)
                return CommandOutput.Fail(io.Error, $"'{folder}' holds no event shards (data/**/*.parquet): it is not a MEDS dataset.",
                    "point at the folder that contains data/ and metadata/ ('fhirrisk ingest' output).", ExitCodes.UsageError);
            if (File.Exists(output.FullName))
                return CommandOutput.Fail(io.Error, $"--out '{output.FullName}' is a file.", "choose a new --out folder.", ExitCodes.UsageError);
            var missing = splits?.Where(s => !dataset.SplitNames.Contains(s)).ToArray() ?? [];
            if (missing.Length > 0)
                return CommandOutput.Fail(io.Error, $"no split named {string.Join(", ", missing)} in '{folder}'.",
                    $"the dataset has {string.Join(", ", dataset.SplitNames)}.", ExitCodes.UsageError);
            summary = TokenizeProgressDisplay.Run(console,
                progress => DatasetTokenization.Run(tokenizer, dataset, output.FullName, splits, parallel, progress, cancellationToken));
        }
        catch (IOException e) when (e.Message.Contains("is not empty", StringComparison.Ordinal))
        {
            return CommandOutput.Fail(io.Error, e.Message, "choose a new --out folder.", ExitCodes.UsageError);
        }
        catch (Exception e) when (e is MedsFormatException or ParquetException or IOException or UnauthorizedAccessException)
        {
            var message = e is MedsFormatException meds ? meds.Issue.ToString() : e.Message;
            return CommandOutput.Fail(io.Error, message, $"run 'fhirrisk meds validate {folder}' to list every problem.");
        }

        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{output.FullName}: {summary.Tokens:N0} tokens for {summary.Subjects:N0} subjects ({summary.Events:N0} events) in {summary.Shards.Count:N0} shards; {summary.Elapsed.TotalSeconds:0.0} s ({summary.Events / Math.Max(summary.Elapsed.TotalSeconds, 1e-9):N0} events/s)."));
        var coverage = summary.Coverage;
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Vocabulary coverage of the {coverage.Total:N0} timeline events: {coverage.Exact:N0} ({coverage.Share(CodeCoverage.Exact):P1}) with their own code, {coverage.Ancestor:N0} ({coverage.Share(CodeCoverage.Ancestor):P1}) with an ancestor's, {coverage.Unknown:N0} ({coverage.Share(CodeCoverage.Unknown):P1}) unknown."));
        return ExitCodes.Success;
    }
}
