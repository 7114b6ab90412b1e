namespace FhirRisk.Bench.Infrastructure;

/// <summary>Starts this bench executable again with a hidden child verb (see <see cref="IBenchmarkChildVerb"/>).</summary>
internal static class SelfProcess
{
    public static string RunChildVerb(string verb, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var (fileName, prefix) = SelfCommand();
        return ExternalProcess.RunForOutput(fileName, prefix.Append(verb).Concat(arguments), workingDirectory, timeout);
    }

    /// <summary>
    /// <c>dotnet run</c> starts the apphost, which we can start directly; under <c>dotnet FhirRisk.Bench.dll</c>
    /// the process is the muxer and the assembly path has to be passed again.
    /// </summary>
    private static (string FileName, IEnumerable<string> Prefix) SelfCommand()
    {
        var processPath = Environment.ProcessPath
            ?? throw new BenchmarkException("Cannot tell which executable is running, so the child process cannot be started.");
        var isMuxer = string.Equals(Path.GetFileNameWithoutExtension(processPath), "dotnet", StringComparison.OrdinalIgnoreCase);
        return isMuxer ? (processPath, [typeof(SelfProcess).Assembly.Location]) : (processPath, []);
    }
}
