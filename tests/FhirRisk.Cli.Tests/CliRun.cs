namespace FhirRisk.Cli.Tests;

/// <summary>Runs <c>fhirrisk</c> in-process with captured output.</summary>
internal static class CliRun
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await FhirRiskCommandLine.RunAsync(args, output, error).WaitAsync(TimeSpan.FromMinutes(2));
        return (exitCode, output.ToString(), error.ToString());
    }
}
