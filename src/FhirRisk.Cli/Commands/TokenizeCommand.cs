using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Meds;
using FhirRisk.Parquet;
using FhirRisk.Tokenizer;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk tokenize &lt;meds-dir&gt; --tokenizer &lt;dir&gt; --out &lt;dir&gt; [--split S]… [--parallel N]</c> (issue 5):
/// encodes every MEDS shard into a token shard (docs/formats/token-shard.md) with a progress bar. The tokenizer must
/// already exist: fitting is the separate, explicit <c>fhirrisk tokenize fit</c> (<see cref="TokenizeFitCommand"/>), so
/// that a mistyped directory can never silently fit a new language on the wrong data. Likewise a tokenizer fitted on
/// other data is refused when more than <see cref="MaxUnknownShare"/> of the events would be unknown codes (TOK001;
/// <c>--allow-unknown-codes</c> accepts it), and warned about above <see cref="WarnUnknownShare"/>. Exit 0 on success,
/// 1 when the data or tokenizer cannot be read or is refused, 2 on bad arguments.
/// </summary>
internal static class TokenizeCommand
{
    /// <summary>Largest share of timeline events with wholly unknown codes accepted without --allow-unknown-codes. A
    /// tokenizer fitted on the same source leaves a few per cent (5.1 % on the MIMIC-IV demo's held-out split, fitted on
    /// its 10 tuning subjects); one fitted on another source most (99.9 % for a simulated cohort's on MIMIC).</summary>
    public const double MaxUnknownShare = 0.5;

    /// <summary>Share of unknown codes above which the run succeeds with a warning.</summary>
    public const double WarnUnknownShare = 0.2;

    public static Command Create()
    {
        var dataset = MedsCommand.DatasetArgument();
        var tokenizer = new Option<DirectoryInfo>("--tokenizer") { Description = "The model directory holding tokenizer.json and vocabulary.tsv.", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "The folder to write <split>/<n>.tokens and manifest.json to (new or empty).", Required = true };
        var splits = new Option<string[]>("--split") { Description = "Only these splits (repeatable); all by default.", AllowMultipleArgumentsPerToken = true };
        var parallel = CommandOptions.IntAtLeast("--parallel", minimum: 1, defaultValue: Environment.ProcessorCount, "Shards encoded at once.");
        var allowUnknown = new Option<bool>("--allow-unknown-codes")
        {
            Description = "Write the shards even when more than half of the events have codes the tokenizer does not know (a tokenizer from other data).",
        };
        var command = new Command("tokenize", "Encode a MEDS dataset into token shards with a fitted tokenizer ('tokenize fit' fits one).")
        {
            dataset, tokenizer, output, splits, parallel, allowUnknown, TokenizeFitCommand.Create(),
        };
        command.SetAction((parsed, cancellationToken) => Task.FromResult(Run(
            parsed.GetRequiredValue(dataset),
            parsed.GetRequiredValue(tokenizer),
            parsed.GetRequiredValue(output),
            parsed.GetValue(splits) is { Length: > 0 } chosen ? chosen : null,
            parsed.GetValue(parallel),
            parsed.GetValue(allowUnknown),
            parsed.InvocationConfiguration,
            cancellationToken)));
        return command;
    }

    private static int Run(DirectoryInfo folder, DirectoryInfo model, DirectoryInfo output, string[]? splits, int parallel, bool allowUnknown, InvocationConfiguration io, CancellationToken cancellationToken)
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
                progress => DatasetTokenization.Run(tokenizer, dataset, output.FullName, splits, parallel, progress, cancellationToken,
                    maxUnknownShare: allowUnknown ? null : MaxUnknownShare));
        }
        catch (TokenizationException e) when (e.Issue.Code == TokenizerIssueCodes.TooManyUnknownCodes)
        {
            // The tokenizer may be this data's own, with most codes folded by its small-cell rule: then say that (CLI review s10).
            return CommandOutput.Fail(io.Error, e.Issue.ToString(), TokenizeFitCommand.SmallCellHint(tokenizer)
                ?? $"fit a tokenizer on this data ('fhirrisk tokenize fit {folder} --out <dir>'), or pass --allow-unknown-codes to encode it with this vocabulary anyway.");
        }
        catch (TokenizationException e)
        {
            return CommandOutput.Fail(io.Error, e.Issue.ToString(), e.Hint);
        }
        catch (IOException e) when (e.Message.Contains("is not empty", StringComparison.Ordinal))
        {
            return CommandOutput.Fail(io.Error, e.Message, "choose a new --out folder.", ExitCodes.UsageError);
        }
        catch (Exception e) when (e is MedsFormatException or ParquetException || FileFailures.IsFileFailure(e))
        {
            var message = e is MedsFormatException meds ? meds.Issue.ToString() : e.Message;
            return CommandOutput.Fail(io.Error, message, $"run 'fhirrisk meds validate {folder}' to list every problem.");
        }

        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{output.FullName}: {summary.Tokens:N0} tokens for {summary.Subjects:N0} subjects ({summary.Events:N0} events) in {summary.Shards.Count:N0} shards; {summary.Elapsed.TotalSeconds:0.0} s ({summary.Events / Math.Max(summary.Elapsed.TotalSeconds, 1e-9):N0} events/s)."));
        var coverage = summary.Coverage;
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Vocabulary coverage of the {coverage.Total:N0} timeline events: {coverage.Exact:N0} ({coverage.Share(CodeCoverage.Exact):P1}) with their own code, {coverage.Ancestor:N0} ({coverage.Share(CodeCoverage.Ancestor):P1}) with an ancestor's, {coverage.Unknown:N0} ({coverage.Share(CodeCoverage.Unknown):P1}) unknown."));
        if (coverage.Share(CodeCoverage.Unknown) > WarnUnknownShare)
            io.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"warning: {coverage.Share(CodeCoverage.Unknown):P1} of the events have codes the tokenizer does not know (more than {WarnUnknownShare:P0}); was it fitted on this kind of data?"));
        return ExitCodes.Success;
    }
}
