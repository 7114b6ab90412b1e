using FhirRisk.Core;
using FhirRisk.Meds;
using FhirRisk.Testing;

namespace FhirRisk.Cli.Tests;

public sealed class MedsValidateCommandTests
{
    [Fact]
    public async Task Validate_Sample_ValidAndExitZero()
    {
        var (exitCode, output, _) = await CliRun.RunAsync("meds", "validate", RepositoryPaths.Combine("samples", "meds-demo"), "--strict");

        Assert.Equal(0, exitCode);
        Assert.Contains("0 error(s), 0 warning(s); valid (checked against MEDS 0.4).", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_MissingCodesFile_PrintsCodedErrorAndExitOne()
    {
        using var temp = new TempDirectory();
        using (var writer = new MedsDatasetWriter(temp.Path, new MedsDatasetWriterSettings { Clock = new FixedClock(DateTimeOffset.UnixEpoch) }))
        {
            writer.WriteSubject(1, [new MedsEvent(1, null, "GENDER//F"), new MedsEvent(1, new DateTime(2020, 1, 1), "MEDS_BIRTH")]);
            writer.Complete();
        }
        File.Delete(Path.Combine(temp.Path, "metadata", "codes.parquet"));

        var (exitCode, output, _) = await CliRun.RunAsync("meds", "validate", temp.Path);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains($"ERROR {MedsIssueCodes.MetadataFileMissing} at metadata/codes.parquet", output, StringComparison.Ordinal);
        Assert.Contains("1 error(s), 0 warning(s); NOT valid", output, StringComparison.Ordinal);
    }

    [ExternalDataFact]
    public async Task Validate_TestingHelpers_WarningsOnlyExitZeroButStrictExitOne()
    {
        var dataset = ExternalData.Path("meds", "meds-testing-helpers-static", "parquet");

        var lenient = await CliRun.RunAsync("meds", "validate", dataset);
        var strict = await CliRun.RunAsync("meds", "validate", dataset, "--strict");

        Assert.Equal(0, lenient.ExitCode);
        Assert.Contains("0 error(s), 6 warning(s); valid", lenient.Output, StringComparison.Ordinal);
        Assert.Equal(1, strict.ExitCode);
        Assert.Contains($"ERROR {MedsIssueCodes.CodeNotInMetadata} at data/train/0.parquet:row 1", strict.Output, StringComparison.Ordinal);
    }

    [ExternalDataFact]
    public async Task Validate_MimicDemoCapped_CountsEveryWarningAndExitZero()
    {
        var (exitCode, output, _) = await CliRun.RunAsync("meds", "validate", ExternalData.Path("mimic-iv-demo", "mimic-iv-demo-meds-0.0.1"), "--max-issues-per-code", "3");

        Assert.Equal(0, exitCode);
        Assert.Equal(3, output.Split('\n').Count(l => l.StartsWith($"WARNING {MedsIssueCodes.CodeNotInMetadata} ", StringComparison.Ordinal)));
        Assert.Matches(@"│ MEDS019 │ Warning\s+│\s+1,904 │\s+3 │", output);
        Assert.Contains("0 error(s), 1906 warning(s); valid", output, StringComparison.Ordinal);
    }
}
