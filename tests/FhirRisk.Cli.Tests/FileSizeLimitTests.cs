using System.Diagnostics;
using FhirRisk.Testing;

namespace FhirRisk.Cli.Tests;

/// <summary>
/// A write refused by a file-size limit (EFBIG: <c>ulimit -f</c>, a FAT volume) is a failure to write, exit 1, not a bad
/// argument (review s15-training #9: .NET reports it as an ArgumentOutOfRangeException, which the verbs took for one).
/// The limit applies to a process of its own, started from a shell that sets it.
/// </summary>
public sealed class FileSizeLimitTests
{
    [UnixFact]
    public async Task A_write_past_the_file_size_limit_is_a_failure_to_write_not_a_usage_error()
    {
        using var temp = new TempDirectory();
        var cli = typeof(FhirRiskCommandLine).Assembly.Location;
        // SIGXFSZ ignored, so the write fails with EFBIG instead of ending the process; W^X off, because the runtime's
        // double-mapped code memory is a file the limit would refuse too.
        var start = new ProcessStartInfo("bash", ["-c", $"trap '' XFSZ; ulimit -f 64; exec dotnet '{cli}' simulate --patients 400 --seed 3 --out '{temp.File("cohort")}'"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(process.ExitCode == ExitCodes.Failure, $"exit {process.ExitCode}: {await error}{await output}");
        Assert.StartsWith("error: Specified file length was too large for the file system.", await error, StringComparison.Ordinal);
        Assert.Contains("hint:", await error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", await error, StringComparison.Ordinal);
        Assert.DoesNotContain("--help", await error, StringComparison.Ordinal);
    }
}
