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

    [ExternalDataFact]
    public async Task Labels_AnExportWhoseStaysStartAtEdArrival_WarnsThatEdHospitalizationLostItsPositives()
    {
        // Synthea opens the inpatient encounter at the ED registration: every admitted ED visit is known at prediction.
        using var temp = new TempDirectory();
        var meds = temp.File("meds");
        Assert.Equal(0, (await CliRun.RunAsync("ingest", ExternalData.Path("fhir", "synthea-r4-bundles"), "--out", meds)).ExitCode);

        var (exitCode, _, stderr) = await CliRun.RunAsync("labels", meds, "--out", temp.File("labels"));

        Assert.Equal(0, exitCode);
        Assert.Contains("4 of 9 ed_hospitalization points have their outcome at the prediction time itself", stderr, StringComparison.Ordinal);
        Assert.Contains("leaving no positive", stderr, StringComparison.Ordinal);
        Assert.Contains("no positive label for ed_critical_outcome", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Labels_ADatasetWithoutOurStayCodes_WarnsWhichCodesTheTasksLookFor()
    {
        // CLI review s10 #6: stays written ADMISSION//… / DISCHARGE gave 0 points for every task, exit 0 and no word.
        using var temp = new TempDirectory();
        var meds = temp.File("meds");
        using (var writer = new Meds.MedsDatasetWriter(meds))
        {
            var at = new DateTime(2021, 5, 1, 8, 0, 0, DateTimeKind.Utc);
            writer.WriteSubject(1, [new(1, at, "ADMISSION//EMERGENCY"), new(1, at.AddDays(3), "DISCHARGE")], Meds.MedsSchema.TrainSplit);
            writer.Complete();
        }

        var (exitCode, _, stderr) = await CliRun.RunAsync("labels", meds, "--out", temp.File("labels"));

        Assert.Equal(0, exitCode);
        Assert.Contains("warning: no prediction point for hospital_mortality", stderr, StringComparison.Ordinal);
        Assert.Contains("HOSPITAL_ADMISSION", stderr, StringComparison.Ordinal);
        Assert.Contains("ED_REGISTRATION", stderr, StringComparison.Ordinal);
    }
}
