using System.Runtime.InteropServices;
using System.Text.Json;
using FhirRisk.Bench.Infrastructure;
using FhirRisk.Model.Torch;

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

    /// <summary>Overrides the Python interpreter of a GPU peer (<see cref="PrepareOn"/>): the one whose PyTorch has CUDA.</summary>
    public const string PythonVariable = "FHIRRISK_BENCH_PYTHON";

    private readonly string _script;
    private readonly string _python;
    private readonly string _device;

    private TorchPeer(string script, TorchPeerSetup setup, string python = Python, string device = "cpu")
    {
        (_script, _python, _device) = (script, python, device);
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

    /// <summary>
    /// The peer on <paramref name="device"/>: on the CPU (or null) <see cref="Prepare"/>'s; on a GPU the machine's own
    /// PyTorch with CUDA (<c>$FHIRRISK_BENCH_PYTHON</c>, else <c>python3</c> on the PATH), nothing installed and no CPU
    /// library settings, the model and every tensor on the device.
    /// </summary>
    public static TorchPeer PrepareOn(string repositoryRoot, int threads, TextWriter output, TorchDevice? device)
    {
        if (device is not { IsCpu: false } gpu)
            return Prepare(repositoryRoot, threads, output);
        var script = Path.Combine(repositoryRoot, "bench", "FhirRisk.Bench", "Engine", Script);
        if (!File.Exists(script))
            throw new BenchmarkException($"Missing peer script {script}.");
        var python = Environment.GetEnvironmentVariable(PythonVariable) is { Length: > 0 } configured ? configured : "python3";
        try
        {
            ExternalProcess.RunForOutput(python, ["-c", $"import torch, numpy; assert torch.cuda.is_available(); torch.zeros(1, device='{gpu}')"], "/", TimeSpan.FromMinutes(2));
        }
        catch (BenchmarkException ex)
        {
            throw new BenchmarkException($"{python} cannot run PyTorch on {gpu}. Hint: point ${PythonVariable} at a Python whose torch has CUDA.", ex);
        }
        return new TorchPeer(script, TorchPeerSetup.OnGpu(threads, python, gpu.ToString()), python, gpu.ToString());
    }

    /// <summary>Runs <c>torch_peer.py &lt;mode&gt; &lt;arguments&gt;</c> and returns its JSON answer.</summary>
    public JsonElement Run(string mode, IEnumerable<string> arguments)
    {
        IEnumerable<string> command = [.. Setup.EnvArguments(), _python, _script, mode, "--threads", Setup.ThreadsText, "--device", _device, .. arguments];
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
