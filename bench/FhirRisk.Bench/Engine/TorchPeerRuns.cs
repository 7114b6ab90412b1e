using System.Globalization;
using System.Text.Json;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Engine;

/// <summary>What the peer process reported about itself: the libraries it really ran on and the thread split it
/// chose, with the probe times (seconds) that chose it.</summary>
internal sealed record TorchRuntime(string Version, int TorchThreads, int BlasThreads, IReadOnlyDictionary<string, double> SplitProbes,
    string CpuCapability, string Blas, string Allocator, string Device = "cpu")
{
    public string Threads => Device == "cpu" ? string.Create(CultureInfo.InvariantCulture, $"{TorchThreads} + {BlasThreads} BLAS") : Device;

    public string Describe() => Device != "cpu"
        ? $"torch {Version} on {Device} ({CpuCapability}), BLAS {Blas}, allocator {Allocator}"
        : string.Create(CultureInfo.InvariantCulture,
            $"torch {Version}, ATen {TorchThreads} thread(s) + OpenBLAS {BlasThreads} (probe: {string.Join(", ", SplitProbes.Select(p => $"{p.Key} {p.Value * 1000:0} ms"))}), CPU capability {CpuCapability}, BLAS {Blas}, allocator {Allocator}");

    public static TorchRuntime FromJson(JsonElement json) => new(
        json.GetProperty("torch_version").GetString() ?? "?",
        json.GetProperty("torch_threads").GetInt32(),
        json.GetProperty("blas_threads").GetInt32(),
        json.GetProperty("split_probe_seconds").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble()),
        json.GetProperty("cpu_capability").GetString() ?? "?",
        json.GetProperty("blas").GetString() ?? "?",
        json.GetProperty("allocator").GetString() ?? "?",
        json.TryGetProperty("device", out var device) ? device.GetString() ?? "cpu" : "cpu");
}

/// <summary>The peer's side of <c>engine</c>; <see cref="Losses"/> are those of its warm-up steps (its thread probe
/// trains on as well, so later losses have no counterpart on our side).</summary>
internal sealed record TorchTrainingRun(StepTimes Steps, IReadOnlyList<double> Losses, TorchRuntime Runtime)
{
    public static TorchTrainingRun FromJson(JsonElement json) => Parse(json, () => new TorchTrainingRun(
        new StepTimes(Doubles(json, "step_seconds")), Doubles(json, "losses"), TorchRuntime.FromJson(json)));

    internal static IReadOnlyList<double> Doubles(JsonElement json, string name) =>
        json.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToList();

    internal static T Parse<T>(JsonElement json, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new BenchmarkException($"torch_peer.py answered without the expected fields: {json}", ex);
        }
    }
}

/// <summary>The peer's side of <c>decode</c>; its generated ids are in the file it was given.</summary>
internal sealed record TorchDecodeRun(StepTimes Prefill, StepTimes Generation, TorchRuntime Runtime)
{
    public static TorchDecodeRun FromJson(JsonElement json) => TorchTrainingRun.Parse(json, () => new TorchDecodeRun(
        new StepTimes(TorchTrainingRun.Doubles(json, "prefill_seconds")),
        new StepTimes(TorchTrainingRun.Doubles(json, "generation_seconds")),
        TorchRuntime.FromJson(json)));
}
