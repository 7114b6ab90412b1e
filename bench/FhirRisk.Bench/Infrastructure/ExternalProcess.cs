using System.Diagnostics;
using System.Text;

namespace FhirRisk.Bench.Infrastructure;

/// <summary>Runs another program to completion and captures what it printed.</summary>
internal static class ExternalProcess
{
    /// <summary>Runs <paramref name="fileName"/>; throws <see cref="BenchmarkException"/> (with its stderr) unless it exits 0.</summary>
    public static string RunForOutput(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var commandLine = $"{fileName} {string.Join(' ', start.ArgumentList)}";

        using var process = new Process { StartInfo = start };
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (stderr)
                stderr.AppendLine(e.Data);
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new BenchmarkException($"Cannot start '{fileName}': {ex.Message}. Hint: is it installed and on PATH?", ex);
        }

        process.BeginErrorReadLine();
        // Reading stdout on a separate task keeps a chatty child from blocking on a full pipe while we wait.
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new BenchmarkException($"'{commandLine}' did not finish within {timeout.TotalSeconds:0} s.");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            string errors;
            lock (stderr)
                errors = stderr.ToString().Trim();
            throw new BenchmarkException($"'{commandLine}' exited with code {process.ExitCode}: {errors}");
        }

        return stdout.GetAwaiter().GetResult();
    }
}
