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
        ArgumentNullException.ThrowIfNull(arguments);
        EnsurePackagesInstalled();
        var allArguments = arguments.Prepend(Path.Combine(RepositoryPaths.ToolsInterop, script)).ToArray();
        var result = ExternalProcess.Run("node", allArguments, RepositoryPaths.ToolsInterop, timeout ?? DefaultTimeout, standardInput);
        if (result.ExitCode != 0)
            throw new InvalidOperationException(
                $"node {string.Join(' ', allArguments)} failed (exit {result.ExitCode}).\nstderr:\n{result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>Runs a script that prints one JSON document and returns its root (detached from the document).</summary>
    public static JsonElement RunJson(string script, IEnumerable<string> arguments, string? standardInput = null, TimeSpan? timeout = null)
    {
        var output = Run(script, arguments, standardInput, timeout);
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
