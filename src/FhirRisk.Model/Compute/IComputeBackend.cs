using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Compute;

/// <summary>
/// The kernels a GPT needs to train and decode, over flat buffers in the backend's memory (DESIGN §5, after llm.c).
/// Two implementations: <see cref="CpuBackend"/> (C#, the default and the test oracle) and the Torch backend in
/// <c>FhirRisk.Model.Torch</c> (a C shim over ATen; CUDA on a GPU machine). Every kernel has the semantics of the CPU
/// kernel of the same name in <see cref="FhirRisk.Model.Cpu"/> (shapes in docs/compute-engine.md): float32,
/// row-major, channels last, N = B·T rows; backward kernels <b>accumulate</b> into gradients, except
/// <see cref="CrossEntropyBackward"/>, which writes <c>dlogits</c> (and may write it over the logits).
/// </summary>
/// <remarks>
/// Kernels are enqueued in call order; a backend may run them asynchronously (CUDA), so only the methods that return
/// a value to the host (<see cref="Download{T}"/>, <see cref="CrossEntropyForward"/>, <see cref="ClipGradientNorm"/>)
/// wait. A bad shape throws an <see cref="ArgumentException"/> (or the backend's exception type) on every backend;
/// it never corrupts memory or ends the process. Not thread-safe: one caller at a time.
/// </remarks>
public interface IComputeBackend : IDisposable
{
    /// <summary>A short name for logs and benchmark lines, e.g. "cpu" or "torch-cuda".</summary>
    string Name { get; }

    /// <summary>Allocates a zeroed float buffer.</summary>
    /// <param name="length">Elements.</param>
    DeviceBuffer<float> Allocate(long length);

    /// <summary>Allocates a zeroed int buffer (token ids, targets, lengths, row indices).</summary>
    /// <param name="length">Elements.</param>
    DeviceBuffer<int> AllocateInt(long length);

    /// <summary>Copies host memory into a view; lengths must match.</summary>
    void Upload<T>(ReadOnlySpan<T> source, DeviceView<T> destination)
        where T : unmanaged;

    /// <summary>Copies a view to host memory, waiting for the kernels that write it; lengths must match.</summary>
    void Download<T>(DeviceView<T> source, Span<T> destination)
        where T : unmanaged;

    /// <summary>Sets every element of a view to zero.</summary>
    void Zero(DeviceView<float> x);

    /// <summary>Waits until every queued kernel has run (a no-op where kernels run synchronously): for timing.</summary>
    void Synchronize();

    /// <summary>destination = source; the views have one length and do not overlap.</summary>
    void Copy(DeviceView<float> source, DeviceView<float> destination);

    /// <summary>out[N,OC] = inp[N,C] · W[OC,C]ᵀ (see <see cref="MatMul.Forward"/>).</summary>
    void MatMulForward(DeviceView<float> output, DeviceView<float> input, DeviceView<float> weight, int N, int C, int OC);

    /// <summary>dinp += dout · W; dW += doutᵀ · inp (see <see cref="MatMul.Backward"/>).</summary>
    void MatMulBackward(DeviceView<float> dinput, DeviceView<float> dweight, DeviceView<float> doutput,
        DeviceView<float> input, DeviceView<float> weight, int N, int C, int OC);

    /// <summary>LayerNorm over C with eps 1e-5, saving mean[N] and rstd[N] (see <see cref="LayerNorm.Forward"/>).</summary>
    void LayerNormForward(DeviceView<float> output, DeviceView<float> mean, DeviceView<float> rstd, DeviceView<float> input,
        DeviceView<float> weight, DeviceView<float> bias, int N, int C);

    /// <summary>Accumulates dinp, dweight, dbias (see <see cref="LayerNorm.Backward"/>).</summary>
    void LayerNormBackward(DeviceView<float> dinput, DeviceView<float> dweight, DeviceView<float> dbias, DeviceView<float> doutput,
        DeviceView<float> input, DeviceView<float> weight, DeviceView<float> mean, DeviceView<float> rstd, int N, int C);

    /// <summary>Causal attention qkv[B,T,3C] → out[B,T,C], saving the log-sum-exp stats[B,NH,T]
    /// (see <see cref="Attention.Forward"/>).</summary>
    void AttentionForward(DeviceView<float> output, DeviceView<float> stats, DeviceView<float> qkv, int B, int T, int C, int NH);

    /// <summary>Accumulates dqkv from dout (see <see cref="Attention.Backward"/>).</summary>
    void AttentionBackward(DeviceView<float> dqkv, DeviceView<float> doutput, DeviceView<float> qkv, DeviceView<float> output,
        DeviceView<float> stats, int B, int T, int C, int NH);

    /// <summary>GELU, tanh approximation (see <see cref="Gelu.Forward"/>).</summary>
    void GeluForward(DeviceView<float> output, DeviceView<float> input);

    /// <summary>dinp += gelu'(inp)·dout (see <see cref="Gelu.Backward"/>).</summary>
    void GeluBackward(DeviceView<float> dinput, DeviceView<float> input, DeviceView<float> doutput);

    /// <summary>out = a + b.</summary>
    void ResidualForward(DeviceView<float> output, DeviceView<float> a, DeviceView<float> b);

    /// <summary>out[b,t] = wte[tokens[b,t]] + wpe[t] (see <see cref="Embedding.Forward(Span{float}, ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, ComputeOptions?)"/>).</summary>
    void EmbeddingForward(DeviceView<float> output, DeviceView<int> tokens, DeviceView<float> wte, DeviceView<float> wpe, int B, int T, int C);

    /// <summary>out[i] = wte[tokens[i]] + wpe[positions[i]]: one row per decoded token.</summary>
    void EmbeddingForward(DeviceView<float> output, DeviceView<int> tokens, DeviceView<int> positions, DeviceView<float> wte,
        DeviceView<float> wpe, int C);

    /// <summary>Accumulates dwte and dwpe (see <see cref="Embedding.Backward"/>).</summary>
    void EmbeddingBackward(DeviceView<float> dwte, DeviceView<float> dwpe, DeviceView<float> doutput, DeviceView<int> tokens, int B, int T, int C);

    /// <summary>Fused softmax + cross-entropy over logits[N,Vp] (first V columns real), ignore index −100; writes the
    /// per-row losses and returns their mean over the counted rows (see <see cref="SoftmaxCrossEntropy.Forward"/>).</summary>
    float CrossEntropyForward(DeviceView<float> losses, DeviceView<float> logits, DeviceView<int> targets, int N, int V, int Vp);

    /// <summary>Writes dlogits = (softmax − onehot)/count (0 for ignored rows and padded columns); dlogits may be the
    /// logits themselves (see <see cref="SoftmaxCrossEntropy.Backward"/>).</summary>
    void CrossEntropyBackward(DeviceView<float> dlogits, DeviceView<float> logits, DeviceView<int> targets, int N, int V, int Vp);

    /// <summary>Inverted dropout with the mask of Philox4x32-10 at (seed, callIndex, element); output may be the input
    /// (see <see cref="Dropout.Forward"/>).</summary>
    void DropoutForward(DeviceView<float> output, DeviceView<float> input, float p, ulong seed, ulong callIndex);

    /// <summary>dinp += mask·dout/(1 − p) with the forward call's mask (see <see cref="Dropout.Backward"/>).</summary>
    void DropoutBackward(DeviceView<float> dinput, DeviceView<float> doutput, float p, ulong seed, ulong callIndex);

    /// <summary>One AdamW step in PyTorch's arithmetic (see <see cref="AdamW.Step"/>).</summary>
    void AdamW(DeviceView<float> parameters, DeviceView<float> grads, DeviceView<float> m, DeviceView<float> v, int step,
        double learningRate, double beta1, double beta2, double eps, double weightDecay, DecayMask? decayMask);

    /// <summary>The global L2 norm of <paramref name="grads"/>; when it exceeds <paramref name="maxNorm"/> the
    /// gradients are scaled by maxNorm/(norm + 1e-6), as <c>clip_grad_norm_</c> (see <see cref="GradientNorm.ClipInPlace"/>).
    /// <see cref="float.PositiveInfinity"/> only measures.</summary>
    /// <returns>The norm before clipping.</returns>
    float ClipGradientNorm(DeviceView<float> grads, float maxNorm);

    /// <summary>Writes each row's k and v into its slot's cache at its position (see <see cref="DecodeAttention.Write"/>): decoding appends one row per slot, a prefill many.</summary>
    void CacheWrite(DeviceView<float> kCache, DeviceView<float> vCache, DeviceView<float> qkv, DeviceView<int> slots, DeviceView<int> positions, int maxT, int C);

    /// <summary>Each row's query attends over its slot's cached positions up to and including its own (see
    /// <see cref="DecodeAttention.Attend"/>): a prefill of many positions per slot in one pass.</summary>
    void CacheAttend(DeviceView<float> output, DeviceView<float> qkv, DeviceView<float> kCache, DeviceView<float> vCache,
        DeviceView<int> slots, DeviceView<int> positions, int maxT, int C, int NH);

    /// <summary>destination[i] = source[rows[i]] for rows of <paramref name="width"/> elements.</summary>
    void GatherRows(DeviceView<float> destination, DeviceView<float> source, DeviceView<int> rows, int width);

    /// <summary>destination[rows[i]] = source[i] for rows of <paramref name="width"/> elements.</summary>
    void ScatterRows(DeviceView<float> destination, DeviceView<float> source, DeviceView<int> rows, int width);
}
