using FhirRisk.Testing;

namespace FhirRisk.Cli.Tests;

public sealed class LabelsCommandTests
{
    private static string Sample => RepositoryPaths.Combine("samples", "meds-demo");

    [Fact]
    public async Task Labels_AllTasks_WritesLabelShardsStayTablesAndASummary()
    {
        using var temp = new TempDirectory();
        var output = temp.File("labels");

        var (exitCode, stdout, stderr) = await CliRun.RunAsync("labels", Sample, "--out", output);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("hospital_mortality", stdout, StringComparison.Ordinal);
        Assert.Contains("readmission_30d", stdout, StringComparison.Ordinal);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(output, "labels", "hospital_mortality"), "*.parquet", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(output, "stays", "hospital_mortality.parquet")));
    }

    [Fact]
    public async Task Labels_UnknownTask_IsAUsageErrorNamingTheTasks()
    {
        using var temp = new TempDirectory();

        var (exitCode, _, stderr) = await CliRun.RunAsync("labels", Sample, "--task", "sepsis", "--out", temp.File("labels"));

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("sepsis", stderr, StringComparison.Ordinal);
        Assert.Contains("hospital_mortality", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Labels_IntoAnOutputThatHoldsTheTask_RefusesToOverwrite()
    {
        using var temp = new TempDirectory();
        var output = temp.File("labels");
        Assert.Equal(0, (await CliRun.RunAsync("labels", Sample, "--task", "icu_admission", "--out", output)).ExitCode);

        var (exitCode, _, stderr) = await CliRun.RunAsync("labels", Sample, "--task", "icu_admission", "--out", output);

        Assert.Equal(ExitCodes.UsageError, exitCode);
        Assert.Contains("icu_admission", stderr, StringComparison.Ordinal);
    }
}
