using FhirRisk.Model;
using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;

namespace FhirRisk.Inference.Tests;

/// <summary>The CPU backend, except that cached attention (a decode step's) throws while <see cref="Failing"/> is set: a
/// compute backend's error in the middle of a rollout step (a device fault, an out-of-memory).</summary>
internal sealed class FailingBackend(ComputeOptions options) : IComputeBackend
{
    private readonly CpuBackend _cpu = new(options);

    public volatile bool Failing;

    private int _held;

    /// <summary>While set, every matrix product waits on it (counted in <see cref="Held"/>): a forward pass that takes as
    /// long as the test wants.</summary>
    public volatile ManualResetEventSlim? Hold;

    /// <summary>How many matrix products are waiting on <see cref="Hold"/> now.</summary>
    public int Held => Volatile.Read(ref _held);

    public string Name => "failing-cpu";

    public DeviceBuffer<float> Allocate(long length) => _cpu.Allocate(length);

    public DeviceBuffer<int> AllocateInt(long length) => _cpu.AllocateInt(length);

    public void Upload<T>(ReadOnlySpan<T> source, DeviceView<T> destination) where T : unmanaged => _cpu.Upload(source, destination);

    public void Download<T>(DeviceView<T> source, Span<T> destination) where T : unmanaged => _cpu.Download(source, destination);

    public void Zero(DeviceView<float> x) => _cpu.Zero(x);

    public void Synchronize() => _cpu.Synchronize();

    public void Copy(DeviceView<float> source, DeviceView<float> destination) => _cpu.Copy(source, destination);

    public void MatMulForward(DeviceView<float> output, DeviceView<float> input, DeviceView<float> weight, int N, int C, int OC)
    {
        if (Hold is { } hold)
        {
            Interlocked.Increment(ref _held);
            hold.Wait();
            Interlocked.Decrement(ref _held);
        }
        _cpu.MatMulForward(output, input, weight, N, C, OC);
    }

    public void MatMulBackward(DeviceView<float> dinput, DeviceView<float> dweight, DeviceView<float> doutput, DeviceView<float> input,
        DeviceView<float> weight, int N, int C, int OC) => _cpu.MatMulBackward(dinput, dweight, doutput, input, weight, N, C, OC);

    public void LayerNormForward(DeviceView<float> output, DeviceView<float> mean, DeviceView<float> rstd, DeviceView<float> input,
        DeviceView<float> weight, DeviceView<float> bias, int N, int C) => _cpu.LayerNormForward(output, mean, rstd, input, weight, bias, N, C);

    public void LayerNormBackward(DeviceView<float> dinput, DeviceView<float> dweight, DeviceView<float> dbias, DeviceView<float> doutput,
        DeviceView<float> input, DeviceView<float> weight, DeviceView<float> mean, DeviceView<float> rstd, int N, int C) =>
        _cpu.LayerNormBackward(dinput, dweight, dbias, doutput, input, weight, mean, rstd, N, C);

    public void AttentionForward(DeviceView<float> output, DeviceView<float> stats, DeviceView<float> qkv, int B, int T, int C, int NH) =>
        _cpu.AttentionForward(output, stats, qkv, B, T, C, NH);

    public void AttentionBackward(DeviceView<float> dqkv, DeviceView<float> doutput, DeviceView<float> qkv, DeviceView<float> output,
        DeviceView<float> stats, int B, int T, int C, int NH) => _cpu.AttentionBackward(dqkv, doutput, qkv, output, stats, B, T, C, NH);

    public void GeluForward(DeviceView<float> output, DeviceView<float> input) => _cpu.GeluForward(output, input);

    public void GeluBackward(DeviceView<float> dinput, DeviceView<float> input, DeviceView<float> doutput) => _cpu.GeluBackward(dinput, input, doutput);

    public void ResidualForward(DeviceView<float> output, DeviceView<float> a, DeviceView<float> b) => _cpu.ResidualForward(output, a, b);

    public void EmbeddingForward(DeviceView<float> output, DeviceView<int> tokens, DeviceView<float> wte, DeviceView<float> wpe, int B, int T, int C) =>
        _cpu.EmbeddingForward(output, tokens, wte, wpe, B, T, C);

    public void EmbeddingForward(DeviceView<float> output, DeviceView<int> tokens, DeviceView<int> positions, DeviceView<float> wte,
        DeviceView<float> wpe, int C) => _cpu.EmbeddingForward(output, tokens, positions, wte, wpe, C);

    public void EmbeddingBackward(DeviceView<float> dwte, DeviceView<float> dwpe, DeviceView<float> doutput, DeviceView<int> tokens, int B, int T, int C) =>
        _cpu.EmbeddingBackward(dwte, dwpe, doutput, tokens, B, T, C);

    public float CrossEntropyForward(DeviceView<float> losses, DeviceView<float> logits, DeviceView<int> targets, int N, int V, int Vp) =>
        _cpu.CrossEntropyForward(losses, logits, targets, N, V, Vp);

    public void CrossEntropyBackward(DeviceView<float> dlogits, DeviceView<float> logits, DeviceView<int> targets, int N, int V, int Vp) =>
        _cpu.CrossEntropyBackward(dlogits, logits, targets, N, V, Vp);

    public void DropoutForward(DeviceView<float> output, DeviceView<float> input, float p, ulong seed, ulong callIndex) =>
        _cpu.DropoutForward(output, input, p, seed, callIndex);

    public void DropoutBackward(DeviceView<float> dinput, DeviceView<float> doutput, float p, ulong seed, ulong callIndex) =>
        _cpu.DropoutBackward(dinput, doutput, p, seed, callIndex);

    public void AdamW(DeviceView<float> parameters, DeviceView<float> grads, DeviceView<float> m, DeviceView<float> v, int step,
        double learningRate, double beta1, double beta2, double eps, double weightDecay, DecayMask? decayMask) =>
        _cpu.AdamW(parameters, grads, m, v, step, learningRate, beta1, beta2, eps, weightDecay, decayMask);

    public float ClipGradientNorm(DeviceView<float> grads, float maxNorm) => _cpu.ClipGradientNorm(grads, maxNorm);

    public void CacheWrite(DeviceView<float> kCache, DeviceView<float> vCache, DeviceView<float> qkv, DeviceView<int> slots, DeviceView<int> positions, int maxT, int C) =>
        _cpu.CacheWrite(kCache, vCache, qkv, slots, positions, maxT, C);

    public void CacheAttend(DeviceView<float> output, DeviceView<float> qkv, DeviceView<float> kCache, DeviceView<float> vCache,
        DeviceView<int> slots, DeviceView<int> positions, int maxT, int C, int NH)
    {
        if (Failing)
            throw new InvalidOperationException("device fault (test)");
        _cpu.CacheAttend(output, qkv, kCache, vCache, slots, positions, maxT, C, NH);
    }

    public void GatherRows(DeviceView<float> destination, DeviceView<float> source, DeviceView<int> rows, int width) =>
        _cpu.GatherRows(destination, source, rows, width);

    public void ScatterRows(DeviceView<float> destination, DeviceView<float> source, DeviceView<int> rows, int width) =>
        _cpu.ScatterRows(destination, source, rows, width);

    public void Dispose() => _cpu.Dispose();
}
