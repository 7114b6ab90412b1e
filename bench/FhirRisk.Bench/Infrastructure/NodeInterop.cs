using System.Text.Json;

namespace FhirRisk.Bench.Infrastructure;

/// <summary>
/// Runs the Node.js peer scripts in tools/interop (DESIGN §1: the real peers come from npm), installing their
/// packages first when node_modules is missing, and parses the one JSON object each script prints.
/// </summary>
internal sealed class NodeInterop
{
    private readonly string _folder;
    private readonly TextWriter _log;

    public NodeInterop(string repositoryRoot, TextWriter log)
    {
        _folder = Path.Combine(repositoryRoot, "tools", "interop");
        _log = log;
    }

    /// <summary>Runs <c>node &lt;script&gt; &lt;arguments&gt;</c> in tools/interop and returns its JSON answer.</summary>
    public JsonElement RunScript(string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var scriptPath = Path.Combine(_folder, script);
        if (!File.Exists(scriptPath))
            throw new BenchmarkException($"Missing peer script {scriptPath}.");
        EnsurePackagesInstalled();
        var json = ExternalProcess.RunForOutput("node", arguments.Prepend(scriptPath), _folder, timeout);
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new BenchmarkException($"{script} printed something that is not JSON: {Truncate(json)}", ex);
        }
    }

    private void EnsurePackagesInstalled()
    {
        if (Directory.Exists(Path.Combine(_folder, "node_modules")))
            return;
        if (!File.Exists(Path.Combine(_folder, "package.json")))
            throw new BenchmarkException($"Missing {Path.Combine(_folder, "package.json")}; the peer packages cannot be installed.");
        // npm ci installs exactly the lock file's versions; without a lock file fall back to npm install.
        var verb = File.Exists(Path.Combine(_folder, "package-lock.json")) ? "ci" : "install";
        _log.WriteLine($"Installing peer packages: npm {verb} in {_folder} ...");
        ExternalProcess.RunForOutput("npm", [verb, "--no-audit", "--no-fund"], _folder, TimeSpan.FromMinutes(10));
    }

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..500] + "…";
}
