using FhirRisk.Testing;

namespace FhirRisk.Cli.Tests;

public sealed class SimulateCommandTests
{
    [Fact]
    public async Task Simulate_SmallCohort_WritesBulkNdjsonTruthAndOracleAuroc()
    {
        using var temp = new TempDirectory();
        var output = temp.File("cohort");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("simulate", "--patients", "40", "--seed", "7", "--out", output);

        Assert.True(exitCode == 0, stderr);
        foreach (var type in new[] { "Patient", "Encounter", "Condition", "Observation" })
            Assert.True(File.Exists(Path.Combine(output, type + ".ndjson")), type);
        Assert.Equal(40, File.ReadLines(Path.Combine(output, "Patient.ndjson")).Count());
        Assert.Contains("hospital_mortality", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_IntoANonEmptyFolder_IsAUsageError()
    {
        using var temp = new TempDirectory();
        var output = temp.File("cohort");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "keep.txt"), "x");

        var (exitCode, _, stderr) = await CliRun.RunAsync("simulate", "--patients", "5", "--out", output);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("hint", stderr, StringComparison.OrdinalIgnoreCase);
    }
}
