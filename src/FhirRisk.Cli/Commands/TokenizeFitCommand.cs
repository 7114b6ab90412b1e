using System.CommandLine;
using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Meds;
using FhirRisk.Parquet;
using FhirRisk.Tokenizer;

namespace FhirRisk.Cli.Commands;

/// <summary>
/// <c>fhirrisk tokenize fit &lt;meds-dir&gt; --out &lt;model-dir&gt; [--fit-split S]… [--min-count N] [--min-subjects N]
/// [--max-vocabulary N] [--quantized-codes N] [--day-end-codes P]… [--keep-midnight]</c>: fits the vocabulary, deciles and interval estimates on the train split
/// and saves them (docs/formats/tokenizer.md). Starts from <see cref="TokenizerSettings.SmallCell"/>: what it writes is
/// derived from patients, so nothing seen in fewer than 10 of them by default. Refuses to overwrite an existing tokenizer: a model's language must not change under it.
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
        var defaults = TokenizerSettings.SmallCell;
        var minCount = CommandOptions.IntAtLeast("--min-count", minimum: 1, defaultValue: defaults.MinCount, "Fewest train occurrences a code token needs.");
        var minSubjects = CommandOptions.IntAtLeast("--min-subjects", minimum: 1, defaultValue: defaults.MinSubjects,
            "Small-cell rule: fewest train subjects a code token, a static value or a quantized code needs (1 turns it off; for simulated data only).");
        var maxVocabulary = CommandOptions.IntAtLeast("--max-vocabulary", minimum: 1, defaultValue: defaults.MaxVocabularySize, "Most tokens in the vocabulary.");
        var quantized = CommandOptions.IntAtLeast("--quantized-codes", minimum: 0, defaultValue: defaults.QuantizedCodes, "Numeric codes that get decile tokens.");
        var dayEnd = new Option<string[]>("--day-end-codes")
        {
            Description = "Code prefixes recorded by date only (at midnight), placed at the end of their day so that a prompt cut earlier that day does not read them, e.g. PROCEDURE//ICD for MEDS_transforms' MIMIC-IV (repeatable; saved with the tokenizer).",
            AllowMultipleArgumentsPerToken = true,
        };
        var keepMidnight = new Option<bool>("--keep-midnight")
        {
            Description = "Keep code groups that are (nearly) all at exactly midnight where they are. By default, without --day-end-codes, the fit finds such groups (a source's date-only records) and places them at the end of their day, so that a prompt cut at an admission that day does not read them.",
        };
        var command = new Command("fit", "Fit a tokenizer (vocabulary, deciles, interval estimates) on the train split and save it.")
        {
            dataset, output, splits, minCount, minSubjects, maxVocabulary, quantized, dayEnd, keepMidnight,
        };
        command.SetAction(parsed =>
        {
            var settings = defaults with
            {
                MinCount = parsed.GetValue(minCount),
                MinSubjects = parsed.GetValue(minSubjects),
                MaxVocabularySize = parsed.GetValue(maxVocabulary),
                QuantizedCodes = parsed.GetValue(quantized),
            };
            if (parsed.GetValue(splits) is { Length: > 0 } chosen)
                settings = settings with { FitSplits = chosen };
            if (parsed.GetValue(dayEnd) is { Length: > 0 } prefixes)
                settings = settings with { DayEndCodes = prefixes };
            var automatic = settings.DayEndCodes.Count == 0 && !parsed.GetValue(keepMidnight);
            return Run(parsed.GetRequiredValue(dataset), parsed.GetRequiredValue(output), settings, automatic, parsed.InvocationConfiguration);
        });
        return command;
    }

    private static int Run(DirectoryInfo folder, DirectoryInfo output, TokenizerSettings settings, bool automaticDayEnd, InvocationConfiguration io)
    {
        if (File.Exists(Path.Combine(output.FullName, "tokenizer.json")))
            return CommandOutput.Fail(io.Error, $"'{output.FullName}' already holds a tokenizer.",
                "choose a new --out folder; a saved tokenizer is never overwritten.", ExitCodes.UsageError);
        TimelineTokenizer tokenizer;
        try
        {
            tokenizer = TimelineTokenizer.Fit(MedsDatasetReader.Open(folder.FullName), settings);
            if (automaticDayEnd && DayEndCandidates(tokenizer.FittedOn.DateOnlyGroups) is { Length: > 0 } prefixes)
            {
                io.Error.WriteLine($"note: {Describe(tokenizer.FittedOn.DateOnlyGroups.Where(g => prefixes.Contains(g.Prefix)))} are (nearly) all at exactly midnight, as a source writes what it records by date only; " +
                    "fitting again with them placed at the end of their day (--day-end-codes, saved with the tokenizer), so that a prediction earlier that day does not read them. Pass --keep-midnight to keep them where they are.");
                settings = settings with { DayEndCodes = prefixes };
                tokenizer = TimelineTokenizer.Fit(MedsDatasetReader.Open(folder.FullName), settings);
            }
        }
        catch (ArgumentException e) when (settings.DayEndCodes.Any(string.IsNullOrEmpty) && !FileFailures.IsFileTooLarge(e))
        {
            return CommandOutput.Fail(io.Error, e.Message, "pass a code prefix such as PROCEDURE//ICD to --day-end-codes.", ExitCodes.UsageError);
        }
        catch (ArgumentException e) when (!FileFailures.IsFileTooLarge(e))
        {
            return CommandOutput.Fail(io.Error, e.Message, "pass --fit-split with a split the dataset has.", ExitCodes.UsageError);
        }
        catch (Exception e) when (e is MedsFormatException or ParquetException || FileFailures.IsFileFailure(e))
        {
            var message = e is MedsFormatException meds ? meds.Issue.ToString() : e.Message;
            return CommandOutput.Fail(io.Error, message, $"run 'fhirrisk meds validate {folder}' to list every problem.");
        }
        try
        {
            tokenizer.Save(output.FullName);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            return CommandOutput.Fail(io.Error, $"could not save the tokenizer to '{output.FullName}': {e.Message}", "choose a new --out folder you can write to.");
        }
        if (settings.MinSubjects > 1 && UnknownShare(tokenizer) is > 0.5 and var share)
            io.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"warning: {share:P0} of the train code occurrences fall under UNK tokens: {SmallCellRule(settings)}. Fit on more subjects; on simulated data only, pass --min-subjects 1 --min-count 1."));
        var used = tokenizer.Intervals.Count(i => i.Count > 0);
        io.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{output.FullName}: {tokenizer.Vocabulary.Count:N0} tokens, {tokenizer.Quantiles.Count:N0} quantized codes, {used} of {tokenizer.Intervals.Count} interval tokens used, {tokenizer.CodeDescriptions.Count:N0} codes named (codes.tsv); fitted on {string.Join(", ", tokenizer.FittedOn.Splits)} ({tokenizer.FittedOn.Subjects:N0} subjects, {tokenizer.FittedOn.Events:N0} events)."));
        // What is still at midnight: every group with --keep-midnight or chosen prefixes, and by default the codes the
        // tasks read, which are never moved (a source whose stays are recorded by date should be known).
        WarnDateOnly(tokenizer.FittedOn.DateOnlyGroups, io.Error, tasksCodesOnly: automaticDayEnd);
        return ExitCodes.Success;
    }

    /// <summary>The date-only groups the fit places at the end of their day by itself (<see cref="DateOnlyCodeGroup.DayEndCandidates"/>).</summary>
    internal static string[] DayEndCandidates(IReadOnlyList<DateOnlyCodeGroup> groups) => DateOnlyCodeGroup.DayEndCandidates(groups);

    private static string Describe(IEnumerable<DateOnlyCodeGroup> groups)
    {
        var list = groups.ToList();
        var shown = list.Take(DateOnlyGroupsShown).Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Prefix} ({g.AtMidnight:N0} of {g.Events:N0})"));
        var more = list.Count > DateOnlyGroupsShown ? $" and {list.Count - DateOnlyGroupsShown} more" : "";
        return string.Join(", ", shown) + more;
    }

    private const int DateOnlyGroupsShown = 8;

    // Codes timed at midnight sort before everything else charted that day, so a prompt cut at an admission reads the
    // stay's own date-only procedures (docs/formats/tokenizer.md, "Date-only codes").
    private static void WarnDateOnly(IReadOnlyList<DateOnlyCodeGroup> groups, TextWriter error, bool tasksCodesOnly)
    {
        if (groups.Count == 0)
            return;
        if (tasksCodesOnly)
        {
            // By default only the codes the tasks read are left at midnight: they are not moved, but a source whose
            // stays are recorded by date gives prediction times of no hour, which the user should know of.
            error.WriteLine($"warning: these codes the tasks read are (nearly) all at exactly midnight, as a source writes what it records by date only: {Describe(groups)}. " +
                "They are kept where they are (labels and prompts read them as recorded), so predictions at them are made as of midnight of their day.");
            return;
        }
        error.WriteLine($"warning: these codes are (nearly) all at exactly midnight, as a source writes what it records by date only: {Describe(groups)}. " +
            "They sort before whatever else happened that day, so a prediction at an admission that day would read them. " +
            "If they are recorded by date, fit again with --day-end-codes <prefix> for each, to place them at the end of their day.");
    }

    /// <summary>The hint for data a tokenizer mostly does not know (TOK001) when the cause is the tokenizer's own small-cell
    /// rule, which filed most of the code occurrences it was fitted on under UNK; null when it knows most of its own
    /// (then the data is of another kind than the tokenizer's, and the caller's hint says so).</summary>
    internal static string? SmallCellHint(TimelineTokenizer tokenizer) =>
        UnknownShare(tokenizer) is > 0.5 and var share
            ? string.Create(CultureInfo.InvariantCulture,
                $"the tokenizer itself files {share:P0} of the code occurrences it was fitted on under UNK tokens: {SmallCellRule(tokenizer.Settings)}. Refit it on more subjects (on simulated data only, --min-subjects 1 --min-count 1), or pass --allow-unknown-codes to encode the data anyway.")
            : null;

    private static string SmallCellRule(TokenizerSettings settings) => string.Create(CultureInfo.InvariantCulture,
        $"the small-cell rule (--min-subjects {settings.MinSubjects}, --min-count {settings.MinCount}) leaves out codes of fewer subjects or occurrences");

    // The share of train code occurrences (not static values, not reserved tokens) that the vocabulary counts as UNK//….
    private static double UnknownShare(TimelineTokenizer tokenizer)
    {
        var statics = tokenizer.Settings.StaticFields.Select(f => f + "//").ToArray();
        long unknown = 0, total = 0;
        for (var id = 0; id < tokenizer.Vocabulary.Count; id++)
        {
            var token = tokenizer.Vocabulary[id];
            if (!token.Contains("//", StringComparison.Ordinal) || statics.Any(f => token.StartsWith(f, StringComparison.Ordinal)))
                continue;
            total += tokenizer.Vocabulary.Counts[id];
            if (token.StartsWith(Vocabulary.UnknownPrefix, StringComparison.Ordinal))
                unknown += tokenizer.Vocabulary.Counts[id];
        }
        return total == 0 ? 0 : (double)unknown / total;
    }
}
