using System.Runtime.InteropServices;
using FhirRisk.Model.Compute;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// The C# backend: buffers are managed arrays and every kernel is the CPU kernel of the same name, so this class only
/// turns views into spans. It is the default backend and the oracle the Torch backend is tested against.
/// </summary>
/// <param name="options">The thread budget of every kernel; <see cref="ComputeOptions.Default"/> when null.</param>
public sealed class CpuBackend(ComputeOptions? options = null) : IComputeBackend
{
    private readonly ComputeOptions _options = options ?? ComputeOptions.Default;

    /// <summary>A backend with every core.</summary>
    public static CpuBackend Default { get; } = new();

    /// <inheritdoc/>
    public string Name => "cpu";

    /// <summary>The thread budget.</summary>
    public ComputeOptions Options => _options;

    /// <inheritdoc/>
    public DeviceBuffer<float> Allocate(long length) => new CpuBuffer<float>(this, new float[length]);

    /// <inheritdoc/>
    public DeviceBuffer<int> AllocateInt(long length) => new CpuBuffer<int>(this, new int[length]);

    /// <summary>A buffer over an existing array, without a copy: the model's weights stay in
    /// <see cref="Gpt.GptParameters.Values"/> and a kernel's writes show there at once.</summary>
    /// <param name="array">The memory.</param>
    public DeviceBuffer<T> Wrap<T>(T[] array)
        where T : unmanaged => new CpuBuffer<T>(this, array);

    /// <summary>The memory of a view of one of this backend's buffers.</summary>
    /// <param name="view">The view.</param>
    public Span<T> Span<T>(DeviceView<T> view)
        where T : unmanaged => view.Buffer is CpuBuffer<T> buffer && ReferenceEquals(buffer.Backend, this)
            ? buffer.Array.AsSpan(checked((int)view.Offset), view.Length)
            : throw new ArgumentException($"The view's buffer belongs to the '{view.Buffer.Backend.Name}' backend, not to this CPU backend.", nameof(view));

    /// <inheritdoc/>
    public void Upload<T>(ReadOnlySpan<T> source, DeviceView<T> destination)
        where T : unmanaged
    {
        RequireLength(source.Length, destination.Length);
        source.CopyTo(Span(destination));
    }

    /// <inheritdoc/>
    public void Download<T>(DeviceView<T> source, Span<T> destination)
        where T : unmanaged
    {
        RequireLength(destination.Length, source.Length);
        Span(source).CopyTo(destination);
    }

    /// <inheritdoc/>
    public void Zero(DeviceView<float> x) => Span(x).Clear();

    /// <inheritdoc/>
    public void Synchronize()
    {
    }

    /// <inheritdoc/>
    public void Copy(DeviceView<float> source, DeviceView<float> destination)
    {
        RequireLength(source.Length, destination.Length);
        Span(source).CopyTo(Span(destination));
    }

    /// <inheritdoc/>
    public void MatMulForward(DeviceView<float> output, DeviceView<float> input, DeviceView<float> weight, int N, int C, int OC) =>
        MatMul.Forward(Span(output), Span(input), Span(weight), N, C, OC, _options);

    /// <inheritdoc/>
    public void MatMulBackward(DeviceView<float> dinput, DeviceView<float> dweight, DeviceView<float> doutput,
        DeviceView<float> input, DeviceView<float> weight, int N, int C, int OC) =>
        MatMul.Backward(Span(dinput), Span(dweight), Span(doutput), Span(input), Span(weight), N, C, OC, _options);

    /// <inheritdoc/>
    public void LayerNormForward(DeviceView<float> output, DeviceView<float> mean, DeviceView<float> rstd, DeviceView<float> input,
        DeviceView<float> weight, DeviceView<float> bias, int N, int C) =>
        LayerNorm.Forward(Span(output), Span(mean), Span(rstd), Span(input), Span(weight), Span(bias), N, C, _options);

    /// <inheritdoc/>
    public void LayerNormBackward(DeviceView<float> dinput, DeviceView<float> dweight, DeviceView<float> dbias, DeviceView<float> doutput,
        DeviceView<float> input, DeviceView<float> weight, DeviceView<float> mean, DeviceView<float> rstd, int N, int C) =>
        LayerNorm.Backward(Span(dinput), Span(dweight), Span(dbias), Span(doutput), Span(input), Span(weight), Span(mean), Span(rstd), N, C, _options);

    /// <inheritdoc/>
    public void AttentionForward(DeviceView<float> output, DeviceView<float> stats, DeviceView<float> qkv, int B, int T, int C, int NH) =>
        Attention.Forward(Span(output), Span(stats), Span(qkv), B, T, C, NH, _options);

    /// <inheritdoc/>
    public void AttentionBackward(DeviceView<float> dqkv, DeviceView<float> doutput, DeviceView<float> qkv, DeviceView<float> output,
        DeviceView<float> stats, int B, int T, int C, int NH) =>
        Attention.Backward(Span(dqkv), Span(doutput), Span(qkv), Span(output), Span(stats), B, T, C, NH, _options);

    /// <inheritdoc/>
    public void GeluForward(DeviceView<float> output, DeviceView<float> input) => Gelu.Forward(Span(output), Span(input), _options);

    /// <inheritdoc/>
    public void GeluBackward(DeviceView<float> dinput, DeviceView<float> input, DeviceView<float> doutput) =>
        Gelu.Backward(Span(dinput), Span(input), Span(doutput), _options);

    /// <inheritdoc/>
    public void ResidualForward(DeviceView<float> output, DeviceView<float> a, DeviceView<float> b) =>
        Residual.Forward(Span(output), Span(a), Span(b), _options);

    /// <inheritdoc/>
    public void EmbeddingForward(DeviceView<float> output, DeviceView<int> tokens, DeviceView<float> wte, DeviceView<float> wpe, int B, int T, int C) =>
        Embedding.Forward(Span(output), Span(tokens), Span(wte), Span(wpe), B, T, C, _options);

    /// <inheritdoc/>
    public void EmbeddingForward(DeviceView<float> output, DeviceView<int> tokens, DeviceView<int> positions, DeviceView<float> wte,
        DeviceView<float> wpe, int C) =>
        Embedding.Forward(Span(output), Span(tokens), Span(positions), Span(wte), Span(wpe), C, _options);

    /// <inheritdoc/>
    public void EmbeddingBackward(DeviceView<float> dwte, DeviceView<float> dwpe, DeviceView<float> doutput, DeviceView<int> tokens, int B, int T, int C) =>
        Embedding.Backward(Span(dwte), Span(dwpe), Span(doutput), Span(tokens), B, T, C, _options);

    /// <inheritdoc/>
    public float CrossEntropyForward(DeviceView<float> losses, DeviceView<float> logits, DeviceView<int> targets, int N, int V, int Vp) =>
        SoftmaxCrossEntropy.Forward(Span(losses), Span(logits), Span(targets), N, V, Vp, _options);

    /// <inheritdoc/>
    public void CrossEntropyBackward(DeviceView<float> dlogits, DeviceView<float> logits, DeviceView<int> targets, int N, int V, int Vp) =>
        SoftmaxCrossEntropy.Backward(Span(dlogits), Span(logits), Span(targets), N, V, Vp, _options);

    /// <inheritdoc/>
    public void DropoutForward(DeviceView<float> output, DeviceView<float> input, float p, ulong seed, ulong callIndex) =>
        Dropout.Forward(Span(output), Span(input), p, seed, callIndex, _options);

    /// <inheritdoc/>
    public void DropoutBackward(DeviceView<float> dinput, DeviceView<float> doutput, float p, ulong seed, ulong callIndex) =>
        Dropout.Backward(Span(dinput), Span(doutput), p, seed, callIndex, _options);

    /// <inheritdoc/>
    public void AdamW(DeviceView<float> parameters, DeviceView<float> grads, DeviceView<float> m, DeviceView<float> v, int step,
        double learningRate, double beta1, double beta2, double eps, double weightDecay, DecayMask? decayMask) =>
        Cpu.AdamW.Step(Span(parameters), Span(grads), Span(m), Span(v), step, learningRate, beta1, beta2, eps, weightDecay, decayMask, _options);

    /// <inheritdoc/>
    public float ClipGradientNorm(DeviceView<float> grads, float maxNorm) =>
        GradientNorm.ClipInPlace(Span(grads), maxNorm, options: _options);

    /// <inheritdoc/>
    public void CacheWrite(DeviceView<float> kCache, DeviceView<float> vCache, DeviceView<float> qkv, DeviceView<int> slots, DeviceView<int> positions, int maxT, int C) =>
        DecodeAttention.Write(Span(kCache), Span(vCache), Span(qkv), Span(slots), Span(positions), maxT, C);

    /// <inheritdoc/>
    public void CacheAttend(DeviceView<float> output, DeviceView<float> qkv, DeviceView<float> kCache, DeviceView<float> vCache,
        DeviceView<int> slots, DeviceView<int> positions, int maxT, int C, int NH) =>
        DecodeAttention.Attend(Span(output), Span(qkv), Span(kCache), Span(vCache), Span(slots), Span(positions), maxT, C, NH, _options);

    /// <inheritdoc/>
    public void GatherRows(DeviceView<float> destination, DeviceView<float> source, DeviceView<int> rows, int width)
    {
        Span<float> dst = Span(destination), src = Span(source);
        ReadOnlySpan<int> index = Span(rows);
        RowCopy.Check(dst.Length, src.Length, index, width, nameof(destination), nameof(source));
        for (var i = 0; i < index.Length; i++)
            src.Slice(index[i] * width, width).CopyTo(dst.Slice(i * width, width));
    }

    /// <inheritdoc/>
    public void ScatterRows(DeviceView<float> destination, DeviceView<float> source, DeviceView<int> rows, int width)
    {
        Span<float> dst = Span(destination), src = Span(source);
        ReadOnlySpan<int> index = Span(rows);
        RowCopy.Check(src.Length, dst.Length, index, width, nameof(source), nameof(destination));
        for (var i = 0; i < index.Length; i++)
            src.Slice(i * width, width).CopyTo(dst.Slice(index[i] * width, width));
    }

    /// <summary>Managed memory; nothing to free.</summary>
    public void Dispose()
    {
    }

    private static void RequireLength(int source, int destination)
    {
        if (source != destination)
            throw new ArgumentException($"Copy of {source} elements into a view of {destination}.");
    }

    private sealed class CpuBuffer<T>(CpuBackend backend, T[] array) : DeviceBuffer<T>(backend, array.Length)
        where T : unmanaged
    {
        public T[] Array { get; } = array;

        protected override void Release()
        {
        }
    }
}
