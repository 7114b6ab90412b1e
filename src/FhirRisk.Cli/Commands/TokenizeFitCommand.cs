using System.CommandLine;
using System.Globalization;
using FhirRisk.Meds;
using FhirRisk.Parquet;
using FhirRisk.Tokenizer;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk tokenize fit &lt;meds-dir&gt; --out &lt;model-dir&gt; [--fit-split S]… [--min-count N] [--max-vocabulary N]
/// [--quantized-codes N]</c>: fits the vocabulary, deciles and interval estimates on the train split and saves them
/// (docs/formats/tokenizer.md). Refuses to overwrite an existing tokenizer: a model's language must not change under it.
/// </summary>
internal static class TokenizeFitCommand
{
    public static Command Create()
    {
        var dataset = MedsCommand.DatasetArgument();
        var output = new Option<DirectoryInfo>("--out") { Description = "The model directory to save tokenizer.json and vocabulary.tsv in.", Required = true };
        var splits = new Option<string[]>("--fit-split")
        {
            Description = "Splits to fit on (repeatable); 'train' by default. Fit on train only so evaluation stays unseen.",
            AllowMultipleArgumentsPerToken = true,
        };
        var defaults = TokenizerSettings.Default;
        var minCount = CommandOptions.IntAtLeast("--min-count", minimum: 1, defaultValue: defaults.MinCount, "Fewest train occurrences a code token needs.");
        var maxVocabulary = CommandOptions.IntAtLeast("--max-vocabulary", minimum: 1, defaultValue: defaults.MaxVocabularySize, "Most tokens in the vocabulary.");
        var quantized = CommandOptions.IntAtLeast("--quantized-codes", minimum: 0, defaultValue: defaults.QuantizedCodes, "Numeric codes that get decile tokens.");
        var dayEnd = new Option<string[]>("--day-end-codes")
        {
            Description = "Code prefixes recorded by date only (at midnight), placed at the end of their day so that a prompt cut earlier that day does not read them, e.g. PROCEDURE//ICD for MEDS_transforms' MIMIC-IV (repeatable; saved with the tokenizer).",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("fit", "Fit a tokenizer (vocabulary, deciles, interval estimates) on the train split and save it.")
        {
            dataset, output, splits, minCount, maxVocabulary, quantized, dayEnd,
        };
        command.SetAction(parsed =>
        {
            var settings = defaults with
            {
                MinCount = parsed.GetValue(minCount),
                MaxVocabularySize = parsed.GetValue(maxVocabulary),
                QuantizedCodes = parsed.GetValue(quantized),
            };
            if (parsed.GetValue(splits) is { Length: > 0 } chosen)
                settings = settings with { FitSplits = chosen };
            if (parsed.GetValue(dayEnd) is { Length: > 0 } prefixes)
                settings = settings with { DayEndCodes = prefixes };
            return Run(parsed.GetRequiredValue(dataset), parsed.GetRequiredValue(output), settings, parsed.InvocationConfiguration);
        });
        return command;
    }

    private static int Run(DirectoryInfo folder, DirectoryInfo output, TokenizerSettings settings, InvocationConfiguration io)
    {
        if (File.Exists(Path.Combine(output.FullName, "tokenizer.json")))
            return CommandOutput.Fail(io.Error, $"'{output.FullName}' already holds a tokenizer.",
                "choose a new --out folder; a saved tokenizer is never overwritten.", ExitCodes.UsageError);
        TimelineTokenizer tokenizer;
        try
        {
            tokenizer = TimelineTokenizer.Fit(MedsDatasetReader.Open(folder.FullName), settings);
        }
        catch (ArgumentException e) when (settings.DayEndCodes.Any(string.IsNullOrEmpty))
        {
            return CommandOutput.Fail(io.Error, e.Message, "pass a code prefix such as PROCEDURE//ICD to --day-end-codes.", ExitCodes.UsageError);
        }
        catch (ArgumentException e)
        {
            return CommandOutput.Fail(io.Error, e.Message, "pass --fit-split with a split the dataset has.", ExitCodes.UsageError);
        }
        catch (Exception e) when (e is MedsFormatException or ParquetException or IOException or UnauthorizedAccessException)
        {
            var message = e is MedsFormatException meds ? meds.Issue.ToString() : e.Message;
            return CommandOutput.Fail(io.Error, message, $"run 'fhirrisk meds validate {folder}' to list every problem.");
        }
        try
        {
            tokenizer.Save(output.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CommandOutput.Fail(io.Error, $"could not save the tokenizer to '{output.FullName}': {e.Message}", "choose a new --out folder you can write to.");
        }
        var used = tokenizer.Intervals.Count(i => i.Count > 0);
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{output.FullName}: {tokenizer.Vocabulary.Count:N0} tokens, {tokenizer.Quantiles.Count:N0} quantized codes, {used} of {tokenizer.Intervals.Count} interval tokens used; fitted on {string.Join(", ", tokenizer.FittedOn.Splits)} ({tokenizer.FittedOn.Subjects:N0} subjects, {tokenizer.FittedOn.Events:N0} events)."));
        WarnDateOnly(tokenizer.FittedOn.DateOnlyGroups, io.Error);
        return ExitCodes.Success;
    }

    private const int DateOnlyGroupsShown = 8;

    // Codes timed at midnight sort before everything else charted that day, so a prompt cut at an admission reads the
    // stay's own date-only procedures (docs/formats/tokenizer.md, "Date-only codes").
    private static void WarnDateOnly(IReadOnlyList<DateOnlyCodeGroup> groups, TextWriter error)
    {
        if (groups.Count == 0)
            return;
        var shown = groups.Take(DateOnlyGroupsShown).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Prefix} ({g.AtMidnight:N0} of {g.Events:N0})"));
        var more = groups.Count > DateOnlyGroupsShown ? $" and {groups.Count - DateOnlyGroupsShown} more" : "";
        error.WriteLine($"warning: these codes are (nearly) all at exactly midnight, as a source writes what it records by date only: {string.Join(", ", shown)}{more}. " +
            "They sort before whatever else happened that day, so a prediction at an admission that day would read them. " +
            "If they are recorded by date, fit again with --day-end-codes <prefix> for each, to place them at the end of their day.");
    }
}
