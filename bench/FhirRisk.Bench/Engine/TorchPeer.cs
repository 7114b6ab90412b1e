using System.Runtime.InteropServices;
using System.Text.Json;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Engine;

/// <summary>
/// Runs <c>torch_peer.py</c> (PyTorch eager on Debian's <c>python3-torch</c> 1.13) in the configuration that makes it
/// fastest on this machine (<see cref="TorchPeerSetup"/>), installing its packages first when they are missing, and
/// parses the JSON object it prints.
/// </summary>
internal sealed class TorchPeer
{
    private const string Python = "/usr/bin/python3";
    private const string Script = "torch_peer.py";
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(10);

    private readonly string _script;

    private TorchPeer(string script, TorchPeerSetup setup)
    {
        _script = script;
        Setup = setup;
    }

    public TorchPeerSetup Setup { get; }

    /// <summary>Finds the script, installs what is missing (python3-torch, the pthread OpenBLAS) and fixes the
    /// configuration for a budget of <paramref name="threads"/> threads.</summary>
    public static TorchPeer Prepare(string repositoryRoot, int threads, TextWriter output)
    {
        var script = Path.Combine(repositoryRoot, "bench", "FhirRisk.Bench", "Engine", Script);
        if (!File.Exists(script))
            throw new BenchmarkException($"Missing peer script {script}.");
        var libraries = Path.Combine("/usr/lib", MultiarchTriplet() + "-linux-gnu");
        var openBlas = Path.Combine(libraries, "openblas-pthread", "libblas.so.3");

        var missing = new List<string>();
        if (!CanImportTorch())
            missing.Add("python3-torch");
        if (!File.Exists(openBlas))
            missing.Add("libopenblas0-pthread");
        if (missing.Count > 0)
        {
            DebianPackages.Install(missing, "The PyTorch peer is incomplete", output);
            if (!CanImportTorch())
                throw new BenchmarkException($"{Python} still cannot import torch after installing python3-torch. Hint: apt-get install -y python3-torch.");
        }

        return new TorchPeer(script, TorchPeerSetup.Fastest(threads, openBlas));
    }

    /// <summary>Runs <c>torch_peer.py &lt;mode&gt; &lt;arguments&gt;</c> and returns its JSON answer.</summary>
    public JsonElement Run(string mode, IEnumerable<string> arguments)
    {
        IEnumerable<string> command = [.. Setup.EnvArguments(), Python, _script, mode, "--threads", Setup.ThreadsText, .. arguments];
        var json = ExternalProcess.RunForOutput("env", command, Path.GetDirectoryName(_script)!, s_timeout);
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new BenchmarkException($"{Script} printed something that is not JSON: {(json.Length <= 500 ? json : json[..500] + "…")}", ex);
        }
    }

    private static bool CanImportTorch()
    {
        try
        {
            ExternalProcess.RunForOutput(Python, ["-c", "import torch, numpy"], "/", TimeSpan.FromMinutes(1));
            return true;
        }
        catch (BenchmarkException)
        {
            return false;
        }
    }

    private static string MultiarchTriplet() =>
        RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "aarch64" : "x86_64";
}
