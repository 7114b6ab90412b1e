using System.Text.Json;

namespace FhirRisk.Testing;

/// <summary>
/// Runs the Node.js interop scripts in tools/interop (DESIGN §1: every format we implement is checked against a peer
/// we did not write). The npm packages are installed on first use, once per process; a failing script throws with
/// its stderr.
/// </summary>
public static class NodeInterop
{
    /// <summary>Default limit for one script run; generous because CI machines are small and shared.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    private static readonly Lazy<bool> Installed = new(() =>
    {
        NpmInstall.EnsureInstalled(RepositoryPaths.ToolsInterop);
        return true;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Installs tools/interop's npm packages unless they are already current (at most once per process).</summary>
    public static void EnsurePackagesInstalled() => _ = Installed.Value;

    /// <summary>True when tools/interop/node_modules holds every package version package-lock.json pins.</summary>
    public static bool PackagesAreCurrent => NpmInstall.IsCurrent(RepositoryPaths.ToolsInterop);

    /// <summary>Runs <c>node tools/interop/&lt;script&gt; args…</c> and returns its stdout.</summary>
    public static string Run(string script, IEnumerable<string> arguments, string? standardInput = null, TimeSpan? timeout = null)
    {
        var allArguments = ScriptArguments(script, arguments);
        var result = ExternalProcess.Run("node", allArguments, RepositoryPaths.ToolsInterop, timeout ?? DefaultTimeout, standardInput);
        return OutputOf(result, allArguments);
    }

    /// <summary>Runs a script that prints one JSON document and returns its root (detached from the document).</summary>
    public static JsonElement RunJson(string script, IEnumerable<string> arguments, string? standardInput = null, TimeSpan? timeout = null) =>
        ParseJson(script, Run(script, arguments, standardInput, timeout));

    /// <summary><see cref="RunJson"/> without holding a thread while the script runs (see <see cref="ExternalProcess.RunAsync"/>).</summary>
    public static async Task<JsonElement> RunJsonAsync(string script, IEnumerable<string> arguments, string? standardInput = null, TimeSpan? timeout = null)
    {
        var allArguments = ScriptArguments(script, arguments);
        var result = await ExternalProcess.RunAsync("node", allArguments, RepositoryPaths.ToolsInterop, timeout ?? DefaultTimeout, standardInput);
        return ParseJson(script, OutputOf(result, allArguments));
    }

    private static string[] ScriptArguments(string script, IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        EnsurePackagesInstalled();
        return arguments.Prepend(Path.Combine(RepositoryPaths.ToolsInterop, script)).ToArray();
    }

    private static string OutputOf(ProcessResult result, string[] allArguments)
    {
        if (result.ExitCode != 0)
            throw new InvalidOperationException(
                $"node {string.Join(' ', allArguments)} failed (exit {result.ExitCode}).\nstderr:\n{result.StandardError}");
        return result.StandardOutput;
    }

    private static JsonElement ParseJson(string script, string output)
    {
        try
        {
            using var document = JsonDocument.Parse(output);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            var head = output.Length > 500 ? output[..500] + "…" : output;
            throw new InvalidOperationException($"node {script} printed invalid JSON ({e.Message}):\n{head}", e);
        }
    }
}
