namespace FhirRisk.Model.Cpu;

/// <summary>
/// The linear layer without bias, out = inp·Wᵀ with W stored (OC, C) as in PyTorch's <c>nn.Linear</c>, and its
/// gradients: the three GEMM layouts a GPT needs (forward NT, input gradient NN, weight gradient TN).
/// </summary>
public static class MatMul
{
    /// <summary>output[N,OC] = inp[N,C]·weight[OC,C]ᵀ.</summary>
    /// <param name="output">(N, OC), overwritten.</param>
    /// <param name="inp">(N, C), N = B·T rows.</param>
    /// <param name="weight">(OC, C).</param>
    /// <param name="n">Rows (B·T).</param>
    /// <param name="c">Input channels.</param>
    /// <param name="oc">Output channels.</param>
    /// <param name="options">Threads.</param>
    public static void Forward(
        Span<float> output, ReadOnlySpan<float> inp, ReadOnlySpan<float> weight, int n, int c, int oc, ComputeOptions options) =>
        Sgemm.Multiply(Transpose.No, Transpose.Yes, n, oc, c, 1f, inp, c, weight, c, 0f, output, oc, options);

    /// <summary>
    /// Accumulates the gradients of <see cref="Forward"/> (like llm.c, so the caller zeroes them once per step):
    /// dinp[N,C] += dout[N,OC]·weight[OC,C] and dweight[OC,C] += dout[N,OC]ᵀ·inp[N,C].
    /// </summary>
    /// <param name="dinp">(N, C), accumulated into.</param>
    /// <param name="dweight">(OC, C), accumulated into.</param>
    /// <param name="dout">(N, OC), the gradient of the output.</param>
    /// <param name="inp">(N, C), the forward input.</param>
    /// <param name="weight">(OC, C).</param>
    /// <param name="n">Rows (B·T).</param>
    /// <param name="c">Input channels.</param>
    /// <param name="oc">Output channels.</param>
    /// <param name="options">Threads.</param>
    public static void Backward(
        Span<float> dinp, Span<float> dweight, ReadOnlySpan<float> dout, ReadOnlySpan<float> inp, ReadOnlySpan<float> weight,
        int n, int c, int oc, ComputeOptions options)
    {
        Sgemm.Multiply(Transpose.No, Transpose.No, n, c, oc, 1f, dout, oc, weight, c, 1f, dinp, c, options);
        Sgemm.Multiply(Transpose.Yes, Transpose.No, oc, c, n, 1f, dout, oc, inp, c, 1f, dweight, c, options);
    }
}
