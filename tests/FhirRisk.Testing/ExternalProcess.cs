using System.ComponentModel;
using System.Diagnostics;

namespace FhirRisk.Testing;

/// <summary>The outcome of one finished child process.</summary>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs a child process with a timeout, capturing both output streams (read concurrently, so a chatty
/// process cannot deadlock on a full pipe).</summary>
public static class ExternalProcess
{
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, string workingDirectory,
        TimeSpan timeout, string? standardInput = null)
    {
        var info = StartInfo(fileName, arguments, workingDirectory, standardInput is not null);
        using var process = Start(info);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
            process.StandardInput.Close();
        }
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException(
                $"'{Describe(info)}' did not finish within {timeout.TotalSeconds:0} s.\nstderr:\n{stderr.Result}");
        }
        process.WaitForExit(); // flushes the asynchronous readers
        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// <see cref="Run"/> without holding a thread while the process runs: tests that run a client against a server in
    /// the same process (the gRPC interop tests) would otherwise block thread-pool threads the server needs, and on a
    /// two-core machine the pool grows slowly enough to delay the server by seconds.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory,
        TimeSpan timeout, string? standardInput = null)
    {
        var info = StartInfo(fileName, arguments, workingDirectory, standardInput is not null);
        using var process = Start(info);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token); // returns after the asynchronous readers reach the end
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited between the timeout and the kill.
            }
            await process.WaitForExitAsync();
            throw new TimeoutException(
                $"'{Describe(info)}' did not finish within {timeout.TotalSeconds:0} s.\nstderr:\n{await stderr}");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The command line for error messages.</summary>
    public static string Describe(ProcessStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return string.Join(' ', info.ArgumentList.Prepend(info.FileName)
            .Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a));
    }

    private static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, string workingDirectory, bool standardInput)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        return info;
    }

    private static Process Start(ProcessStartInfo info)
    {
        try
        {
            return Process.Start(info) ?? throw new InvalidOperationException($"Could not start '{info.FileName}'.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"'{info.FileName}' was not found or cannot run ({e.Message}). The interop tests need Node.js 20+ and npm " +
                "on PATH (DESIGN §8); on Debian: apt-get install nodejs npm.", e);
        }
    }
}
