using FhirRisk.Testing;

namespace FhirRisk.Cli.Tests;

public sealed class MedsInspectCommandTests
{
    private static string Sample => RepositoryPaths.Combine("samples", "meds-demo");

    [Fact]
    public async Task Inspect_Sample_PrintsCountsSplitsAndTopCodes()
    {
        var (exitCode, output, error) = await CliRun.RunAsync("meds", "inspect", Sample, "--top", "3");

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        Assert.Contains("fhirrisk-meds-demo 1.0.0", output, StringComparison.Ordinal);
        Assert.Matches(@"│ Subjects\s+│ 12\s+│", output);
        Assert.Matches(@"│ Events\s+│ 116\s+│", output);
        Assert.Matches(@"│ Distinct codes\s+│ 15\s+│", output);
        Assert.Matches(@"│ train\s+│\s+2 │\s+8 │\s+76 │\s+8 │", output);
        Assert.Contains("Top 3 codes", output, StringComparison.Ordinal);
        Assert.Matches(@"│ 1 │ HOSPITAL_ADMISSION//EMER\s+│\s+12 │", output);
    }

    [ExternalDataFact]
    public async Task Inspect_MimicDemo_SplitCountsAndMissingTrainShard()
    {
        var (exitCode, output, _) = await CliRun.RunAsync("meds", "inspect", ExternalData.Path("mimic-iv-demo", "mimic-iv-demo-meds-0.0.1"));

        Assert.Equal(0, exitCode);
        Assert.Matches(@"│ Events\s+│ 112,174\s+│", output);
        Assert.Matches(@"│ Subjects\s+│ 20\s+│", output);
        Assert.Matches(@"│ train\s+│\s+0 │\s+0 │\s+0 │\s+80 │", output);
        Assert.Matches(@"│ tuning\s+│\s+1 │\s+10 │\s+69,620 │\s+10 │", output);
        Assert.Matches(@"│ held_out\s+│\s+1 │\s+10 │\s+42,554 │\s+10 │", output);
        Assert.Contains("Top 10 codes", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_AFolderThatIsNotADataset_IsAUsageError()
    {
        using var temp = new TempDirectory();

        var (exitCode, _, error) = await CliRun.RunAsync("meds", "inspect", temp.Path);

        Assert.Equal(ExitCodes.UsageError, exitCode); // as labels and tokenize answer the same folder
        Assert.Contains("holds no MEDS dataset", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inspect_CorruptShard_ErrorOnStderrAndExitOne()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(temp.Path, "data", "train"));
        await File.WriteAllTextAsync(Path.Combine(temp.Path, "data", "train", "0.parquet"), "not parquet at all");

        var (exitCode, output, error) = await CliRun.RunAsync("meds", "inspect", temp.Path);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Empty(output);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains("hint: run 'fhirrisk meds validate", error, StringComparison.Ordinal);
    }
}
