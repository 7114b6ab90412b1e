using System.Text.Json;
using FhirRisk.Meds;
using FhirRisk.Parquet;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;

namespace FhirRisk.Cli.Tests;

public sealed class TokenizeCommandTests
{
    private static string Sample => RepositoryPaths.Combine("samples", "meds-demo");

    [Fact]
    public async Task FitThenTokenize_Sample_WritesTheTokenizerAndShards()
    {
        using var temp = new TempDirectory();
        var (model, tokens) = (temp.File("model"), temp.File("tokens"));

        var fit = await CliRun.RunAsync("tokenize", "fit", Sample, "--out", model, "--min-count", "1", "--min-subjects", "1");
        var run = await CliRun.RunAsync("tokenize", Sample, "--tokenizer", model, "--out", tokens);

        Assert.True(fit.ExitCode == 0, fit.Error);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.True(File.Exists(Path.Combine(model, "tokenizer.json")));
        Assert.True(File.Exists(Path.Combine(model, "vocabulary.tsv")));
        Assert.True(File.Exists(Path.Combine(tokens, "manifest.json")));
        Assert.NotEmpty(Directory.GetFiles(tokens, "*.tokens", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task TokenizeFit_ByDefault_AppliesTheSmallCellRuleAndWarnsWhenItLeavesOutMostCodes()
    {
        // Review phi.md #5: the sample's 8 train subjects are each below 10, so nothing of one of them is published.
        using var temp = new TempDirectory();
        var model = temp.File("model");

        var fit = await CliRun.RunAsync("tokenize", "fit", Sample, "--out", model);

        Assert.True(fit.ExitCode == 0, fit.Error);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "tokenizer.json")));
        var settings = manifest.RootElement.GetProperty("settings");
        Assert.Equal(10, settings.GetProperty("min_count").GetInt32());
        Assert.Equal(10, settings.GetProperty("min_subjects").GetInt32());
        Assert.Equal(0, manifest.RootElement.GetProperty("quantiles").GetArrayLength());
        Assert.Contains("small-cell rule", fit.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokenize_WithoutAFittedTokenizer_IsAnErrorNamingTheFitCommand()
    {
        using var temp = new TempDirectory();
        var model = temp.File("empty-model");
        Directory.CreateDirectory(model);

        var (exitCode, _, stderr) = await CliRun.RunAsync("tokenize", Sample, "--tokenizer", model, "--out", temp.File("tokens"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("tokenize fit", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokenize_AFolderThatIsNotMedsOrAnOutThatIsAFile_FailsWithAHintAndNoTrace()
    {
        using var temp = new TempDirectory();
        var model = temp.File("model");
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", "fit", Sample, "--out", model, "--min-count", "1", "--min-subjects", "1")).ExitCode);
        File.WriteAllText(temp.File("export.ndjson"), "{}");
        File.WriteAllText(temp.File("a-file"), "x");

        var notMeds = await CliRun.RunAsync("tokenize", temp.Path, "--tokenizer", model, "--out", temp.File("tokens"));
        var outIsFile = await CliRun.RunAsync("tokenize", Sample, "--tokenizer", model, "--out", temp.File("a-file"));
        var fitOutIsFile = await CliRun.RunAsync("tokenize", "fit", Sample, "--out", temp.File("a-file"), "--min-count", "1", "--min-subjects", "1");

        Assert.Equal(ExitCodes.UsageError, notMeds.ExitCode);
        Assert.Contains("not a MEDS dataset", notMeds.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("tokens")), "nothing is written for a folder that is not a dataset");
        Assert.Equal(ExitCodes.UsageError, outIsFile.ExitCode);
        Assert.Contains("is a file", outIsFile.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Failure, fitOutIsFile.ExitCode);
        Assert.Contains("could not save the tokenizer", fitOutIsFile.Error, StringComparison.Ordinal);
        foreach (var run in new[] { notMeds, outIsFile, fitOutIsFile })
            Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokenize_WithATokenizerThatKnowsFewOfTheCodes_FailsWithTok001UnlessAllowed()
    {
        using var temp = new TempDirectory();
        var (model, tokens) = (temp.File("model"), temp.File("tokens"));
        // A min-count no code reaches leaves a vocabulary without code tokens: every event is unknown, as with a tokenizer from other data.
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", "fit", Sample, "--out", model, "--min-count", "1000000")).ExitCode);

        var refused = await CliRun.RunAsync("tokenize", Sample, "--tokenizer", model, "--out", tokens);
        var leftBehind = Directory.Exists(tokens) ? Directory.GetFiles(tokens, "*", SearchOption.AllDirectories) : [];
        var allowed = await CliRun.RunAsync("tokenize", Sample, "--tokenizer", model, "--out", tokens, "--allow-unknown-codes");

        Assert.Equal(ExitCodes.Failure, refused.ExitCode);
        Assert.Contains("TOK001", refused.Error, StringComparison.Ordinal);
        Assert.Contains("--allow-unknown-codes", refused.Error, StringComparison.Ordinal);
        // The tokenizer is this data's own: its small-cell rule is the cause, not other data (CLI review s10).
        Assert.Contains("small-cell rule (--min-subjects", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("fit a tokenizer on this data", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.Error, StringComparison.Ordinal);
        Assert.Empty(leftBehind);
        Assert.True(allowed.ExitCode == 0, allowed.Error);
        Assert.Contains("warning: ", allowed.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(tokens, "manifest.json")));
    }

    [Fact]
    public async Task TokenizeFit_HeldOutShardFiledUnderTrain_IsRefusedAsMeds021WithTheValidateHint()
    {
        using var temp = new TempDirectory();
        var dataset = CopySample(temp.File("meds"));
        File.Move(Path.Combine(dataset, "data", "held_out", "0.parquet"), Path.Combine(dataset, "data", "train", "2.parquet"));

        var (exitCode, _, stderr) = await CliRun.RunAsync("tokenize", "fit", dataset, "--out", temp.File("model"), "--min-count", "1", "--min-subjects", "1");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains(MedsIssueCodes.SubjectInWrongSplitFolder, stderr, StringComparison.Ordinal);
        Assert.Contains("meds validate", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("model", "tokenizer.json")));
    }

    [Fact]
    public async Task Tokenize_SubjectWhoseTimesGoBack_FailsAsMeds015WithTheValidateHintAndNoTrace()
    {
        using var temp = new TempDirectory();
        var (model, dataset) = (temp.File("model"), temp.File("unsorted"));
        Assert.Equal(0, (await CliRun.RunAsync("tokenize", "fit", Sample, "--out", model, "--min-count", "1", "--min-subjects", "1")).ExitCode);
        WriteUnsortedDataset(dataset);

        var run = await CliRun.RunAsync("tokenize", dataset, "--tokenizer", model, "--out", temp.File("tokens"));
        var fit = await CliRun.RunAsync("tokenize", "fit", dataset, "--out", temp.File("model2"), "--min-count", "1", "--min-subjects", "1");

        foreach (var (exitCode, _, stderr) in new[] { run, fit })
        {
            Assert.Equal(ExitCodes.Failure, exitCode);
            Assert.Contains(MedsIssueCodes.TimesUnsorted, stderr, StringComparison.Ordinal);
            Assert.Contains("meds validate", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        }
    }

    /// <summary>End to end on the sample with its shards moved straight into data/ (no split folders): fit reads the train
    /// subjects of subject_splits.parquet, tokenize files each subject under its listed split, and train finds train tokens.</summary>
    [Fact]
    public async Task FitTokenizeTrain_ShardsDirectlyInData_KeepTheListedSplits()
    {
        using var temp = new TempDirectory();
        var dataset = CopySample(temp.File("meds"));
        var number = 0;
        foreach (var shard in Directory.GetFiles(Path.Combine(dataset, "data"), "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            File.Move(shard, Path.Combine(dataset, "data", $"{number++}.parquet"));
        var (model, tokens, foldered) = (temp.File("model"), temp.File("tokens"), temp.File("foldered"));

        var fit = await CliRun.RunAsync("tokenize", "fit", dataset, "--out", model, "--min-count", "1", "--min-subjects", "1");
        var run = await CliRun.RunAsync("tokenize", dataset, "--tokenizer", model, "--out", tokens);
        var reference = await CliRun.RunAsync("tokenize", Sample, "--tokenizer", model, "--out", foldered);
        var train = await CliRun.RunAsync("train", "--tokens", tokens, "--tokenizer", model, "--out", temp.File("trained"), "--steps", "2",
            "--layers", "1", "--heads", "2", "--channels", "16", "--context", "24", "--batch", "2", "--eval-every", "2", "--eval-batches", "1", "--warmup", "1", "--threads", "1");

        Assert.True(fit.ExitCode == 0, fit.Error);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.True(reference.ExitCode == 0, reference.Error);
        Assert.Equal(SubjectsBySplit(foldered), SubjectsBySplit(tokens));
        Assert.True(train.ExitCode == 0, train.Error);
    }

    private static Dictionary<string, long> SubjectsBySplit(string tokens)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(tokens, "manifest.json")));
        return manifest.RootElement.GetProperty("shards").EnumerateArray()
            .GroupBy(s => s.GetProperty("split").GetString()!)
            .ToDictionary(g => g.Key, g => g.Sum(s => s.GetProperty("subjects").GetInt64()));
    }

    private static string CopySample(string destination)
    {
        foreach (var file in Directory.GetFiles(Sample, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(Sample, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return destination;
    }

    // Subject 1's rows stored as day 1, day 0, day 2 (a writer that did not sort).
    private static void WriteUnsortedDataset(string root)
    {
        var day = TimeSpan.TicksPerDay / TimeSpan.TicksPerMicrosecond;
        var start = (new DateTime(2020, 1, 1) - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        var events = new ParquetSchema(MedsSchema.Data.Fields[0], MedsSchema.Data.Fields[1], MedsSchema.Data.Fields[2]);
        Write(Path.Combine(root, "data", "train", "0.parquet"), events,
        [
            ParquetColumn.Create(events.Fields[0], new long[] { 1, 1, 1 }),
            ParquetColumn.Create(events.Fields[1], new[] { start + day, start, start + (2 * day) }),
            ParquetColumn.Create(events.Fields[2], new string?[] { "HOSPITAL_ADMISSION//IMP", "ED_REGISTRATION", "HOSPITAL_DISCHARGE//home" }),
        ]);
        Write(Path.Combine(root, MedsSchema.SubjectSplitsFile), MedsSchema.SubjectSplits,
        [
            ParquetColumn.Create(MedsSchema.SubjectSplits.Fields[0], new long[] { 1 }),
            ParquetColumn.Create(MedsSchema.SubjectSplits.Fields[1], new string?[] { MedsSchema.TrainSplit }),
        ]);
    }

    private static void Write(string path, ParquetSchema schema, IReadOnlyList<ParquetColumn> columns)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = ParquetFileWriter.Create(path, schema);
        writer.WriteRowGroup(columns);
    }

    [ExternalDataFact]
    public async Task TokenizeFit_MimicDemoMeds_PlacesTheDateOnlyGroupsAtTheirDaysEnd_UnlessToldToKeepThem()
    {
        using var temp = new TempDirectory();
        var mimic = ExternalData.Path("mimic-iv-demo", "mimic-iv-demo-meds-0.0.1");
        string[] splits = ["--fit-split", "tuning", "--fit-split", "held_out"];

        var automatic = await CliRun.RunAsync(["tokenize", "fit", mimic, "--out", temp.File("auto"), .. splits]);
        var kept = await CliRun.RunAsync(["tokenize", "fit", mimic, "--out", temp.File("kept"), .. splits, "--keep-midnight"]);
        var chosen = await CliRun.RunAsync(["tokenize", "fit", mimic, "--out", temp.File("chosen"), .. splits, "--day-end-codes", "PROCEDURE//ICD"]);

        Assert.Equal((0, 0, 0), (automatic.ExitCode, kept.ExitCode, chosen.ExitCode));
        // By default the ICD procedures (of their own stay, before 17 of the 37 admissions) go to the end of their day.
        Assert.Contains("note: ", automatic.Error, StringComparison.Ordinal);
        Assert.Contains("PROCEDURE//ICD (119 of 119)", automatic.Error, StringComparison.Ordinal);
        Assert.Contains("Blood Pressure (106 of 106)", automatic.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("warning: these codes", automatic.Error, StringComparison.Ordinal);
        Assert.Contains("PROCEDURE//ICD", DayEndCodes(temp.File("auto")));
        Assert.Contains("Blood Pressure", DayEndCodes(temp.File("auto")));
        // --keep-midnight: nothing moves, and the fit names what it left.
        Assert.Contains("warning: these codes are (nearly) all at exactly midnight", kept.Error, StringComparison.Ordinal);
        Assert.Contains("PROCEDURE//ICD (119 of 119)", kept.Error, StringComparison.Ordinal);
        Assert.Empty(DayEndCodes(temp.File("kept")));
        // Chosen prefixes are used as given, and the rest named.
        Assert.DoesNotContain("PROCEDURE//ICD", chosen.Error, StringComparison.Ordinal);
        Assert.Contains("Blood Pressure (106 of 106)", chosen.Error, StringComparison.Ordinal);
        Assert.Equal(["PROCEDURE//ICD"], DayEndCodes(temp.File("chosen")));
    }

    [Theory]
    [InlineData("PROCEDURE//ICD", true)]
    [InlineData("Blood Pressure", true)]
    [InlineData("VISIT//AMB", false)]
    [InlineData("HOSPITAL_ADMISSION//EW EMER.", false)]
    [InlineData("HOSPITAL_DISCHARGE//HOME", false)]
    [InlineData("ICU_ADMISSION//MICU", false)]
    [InlineData("ED_REGISTRATION", false)]
    [InlineData("MEDS_BIRTH", false)]
    [InlineData("MEDS_DEATH", false)]
    public void TokenizeFit_NeverMovesTheCodesTheTasksRead(string group, bool moved) =>
        Assert.Equal(moved, Commands.TokenizeFitCommand.DayEndCandidates([new DateOnlyCodeGroup(group, 50, 50)]).Contains(group));

    private static string[] DayEndCodes(string model)
    {
        using var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "tokenizer.json")));
        return saved.RootElement.GetProperty("settings").TryGetProperty("day_end_codes", out var codes)
            ? [.. codes.EnumerateArray().Select(c => c.GetString()!)]
            : [];
    }
}
