using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// GELU with GPT-2's tanh approximation, <c>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))</c>
/// (Hendrycks and Gimpel 2016, §2), forward and backward over flat buffers.
/// </summary>
/// <remarks>
/// There is no vectorised tanh in the BCL, so the kernels use the identity <c>0.5·(1 + tanh u) = σ(2u)</c>:
/// <c>gelu(x) = x / (1 + e^(−2u))</c> with <c>u = √(2/π)·x·(1 + 0.044715·x²)</c>, one <see cref="FastExp"/> per element.
/// Unlike <c>1 + tanh u</c>, this form does not cancel for negative x. Measured against the tanh formula in double
/// over 2·10⁶ evenly spaced inputs in [−12, 12] (<c>GeluTests</c>): forward relative error ≤ 5.6·10⁻⁷ where
/// |gelu(x)| ≥ 10⁻³ and ≤ 1.1·10⁻⁶ where |gelu(x)| ≥ 10⁻⁷ (x ≳ −5.2), absolute ≤ 5.2·10⁻⁷ everywhere (half an ulp of
/// the largest outputs); backward absolute error ≤ 2.0·10⁻⁷ (the derivative crosses 0 near x = −0.75, so only an
/// absolute bound is meaningful). The same tanh formula in float (<c>0.5f·x·(1 + MathF.Tanh(u))</c>) reaches
/// 4.9·10⁻⁵ relative error for x &lt; −3, where it cancels.
/// </remarks>
public static class Gelu
{
    private const double Sqrt2OverPiDouble = 0.7978845608028654;
    private const double CubicDouble = 0.044715;
    private const float Sqrt2OverPi = (float)Sqrt2OverPiDouble;
    private const float Cubic = (float)CubicDouble;

    /// <summary>Cap on −2u: e^80 ≈ 5.5·10³⁴ keeps σ(2u) a normal float, and gelu(x) is below 10⁻³³ there anyway.</summary>
    private const float MaxExponent = 80f;

    /// <summary>Writes <c>output[i] = gelu(inp[i])</c>.</summary>
    /// <param name="output">(N) destination; may be the very same buffer as <paramref name="inp"/>.</param>
    /// <param name="inp">(N) pre-activations.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static unsafe void Forward(Span<float> output, ReadOnlySpan<float> inp, ComputeOptions? options = null)
    {
        if (output.Length != inp.Length)
            throw new ArgumentException("output and inp must have the same length.");
        if (output.Overlaps(inp, out var offset) && offset != 0)
            throw new ArgumentException("output must be the same buffer as inp or disjoint from it.", nameof(output));

        fixed (float* pOut = output, pInp = inp)
        {
            ParallelRows.For(inp.Length, 8, options, new ForwardKernel(pOut, pInp), Vector512<float>.Count);
        }
    }

    /// <summary>Accumulates <c>dinp[i] += gelu'(inp[i])·dout[i]</c>.</summary>
    /// <param name="dinp">(N) gradient of the pre-activations, accumulated; must not overlap the inputs.</param>
    /// <param name="inp">(N) pre-activations saved by the forward pass.</param>
    /// <param name="dout">(N) gradient of the activations.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static unsafe void Backward(Span<float> dinp, ReadOnlySpan<float> inp, ReadOnlySpan<float> dout, ComputeOptions? options = null)
    {
        if (dinp.Length != inp.Length || dout.Length != inp.Length)
            throw new ArgumentException("dinp, inp and dout must have the same length.");
        if (dinp.Overlaps(inp) || dinp.Overlaps(dout))
            throw new ArgumentException("dinp must not overlap inp or dout.", nameof(dinp));

        fixed (float* pDinp = dinp, pInp = inp, pDout = dout)
        {
            ParallelRows.For(inp.Length, 12, options, new BackwardKernel(pDinp, pInp, pDout), Vector512<float>.Count);
        }
    }

    private static void ForwardRange(Span<float> output, ReadOnlySpan<float> inp)
    {
        ref var o = ref MemoryMarshal.GetReference(output);
        ref var x = ref MemoryMarshal.GetReference(inp);
        var n = (nuint)inp.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
            {
                var v = Vector512.LoadUnsafe(ref x, i);
                (v / (Vector512<float>.One + ExpMinus2U(v))).StoreUnsafe(ref o, i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref x, i);
                (v / (Vector256<float>.One + ExpMinus2U(v))).StoreUnsafe(ref o, i);
            }
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref x, i);
            Unsafe.Add(ref o, i) = v / (1f + ExpMinus2U(v));
        }
    }

    // gelu'(x) = σ(2u) + x·σ(2u)(1 − σ(2u))·2√(2/π)(1 + 3·0.044715·x²), the tanh form's derivative with
    // 0.5(1 + tanh u) = σ(2u). 1 − σ(2u) is computed as e^(−2u)·σ(2u), which does not cancel when σ(2u) ≈ 1.
    private static void BackwardRange(Span<float> dinp, ReadOnlySpan<float> inp, ReadOnlySpan<float> dout)
    {
        ref var d = ref MemoryMarshal.GetReference(dinp);
        ref var x = ref MemoryMarshal.GetReference(inp);
        ref var g = ref MemoryMarshal.GetReference(dout);
        var n = (nuint)inp.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var one = Vector512<float>.One;
            for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
            {
                var v = Vector512.LoadUnsafe(ref x, i);
                var e = ExpMinus2U(v);
                var s = one / (one + e);
                var slope = 2f * Sqrt2OverPi * Vector512.FusedMultiplyAdd(Vector512.Create(3f * Cubic), v * v, one);
                var local = Vector512.FusedMultiplyAdd(v * s * (e * s), slope, s);
                Vector512.FusedMultiplyAdd(local, Vector512.LoadUnsafe(ref g, i), Vector512.LoadUnsafe(ref d, i)).StoreUnsafe(ref d, i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256<float>.One;
            for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref x, i);
                var e = ExpMinus2U(v);
                var s = one / (one + e);
                var slope = 2f * Sqrt2OverPi * Vector256.FusedMultiplyAdd(Vector256.Create(3f * Cubic), v * v, one);
                var local = Vector256.FusedMultiplyAdd(v * s * (e * s), slope, s);
                Vector256.FusedMultiplyAdd(local, Vector256.LoadUnsafe(ref g, i), Vector256.LoadUnsafe(ref d, i)).StoreUnsafe(ref d, i);
            }
        }

        for (; i < n; i++)
        {
            var v = Unsafe.Add(ref x, i);
            var e = ExpMinus2U(v);
            var s = 1f / (1f + e);
            var slope = 2f * Sqrt2OverPi * MathF.FusedMultiplyAdd(3f * Cubic, v * v, 1f);
            var local = MathF.FusedMultiplyAdd(v * s * (e * s), slope, s);
            Unsafe.Add(ref d, i) = MathF.FusedMultiplyAdd(local, Unsafe.Add(ref g, i), Unsafe.Add(ref d, i));
        }
    }

    // e^(−2u), u = √(2/π)·x·(1 + 0.044715·x²). The exponent is formed in double and rounded once: its relative
    // error is multiplied by |2u| (up to ~17 where gelu is still representable), which in float arithmetic alone
    // reaches 1.5·10⁻⁶ relative in the result. It is capped at MaxExponent so that e^(−2u) stays finite and
    // e^(−2u)·σ(2u) never becomes ∞·0.
    private static Vector512<float> ExpMinus2U(Vector512<float> x)
    {
        var (lower, upper) = Vector512.Widen(x);
        var exponent = Vector512.Narrow(MinusTwoU(lower), MinusTwoU(upper));
        return FastExp.Exp(Vector512.Min(exponent, Vector512.Create(MaxExponent)));

        static Vector512<double> MinusTwoU(Vector512<double> x) =>
            -2.0 * Sqrt2OverPiDouble * x * Vector512.FusedMultiplyAdd(Vector512.Create(CubicDouble), x * x, Vector512<double>.One);
    }

    private static Vector256<float> ExpMinus2U(Vector256<float> x)
    {
        var (lower, upper) = Vector256.Widen(x);
        var exponent = Vector256.Narrow(MinusTwoU(lower), MinusTwoU(upper));
        return FastExp.Exp(Vector256.Min(exponent, Vector256.Create(MaxExponent)));

        static Vector256<double> MinusTwoU(Vector256<double> x) =>
            -2.0 * Sqrt2OverPiDouble * x * Vector256.FusedMultiplyAdd(Vector256.Create(CubicDouble), x * x, Vector256<double>.One);
    }

    private static float ExpMinus2U(float x)
    {
        var exponent = (float)(-2.0 * Sqrt2OverPiDouble * x * Math.FusedMultiplyAdd(CubicDouble, (double)x * x, 1.0));
        return FastExp.Exp(MathF.Min(exponent, MaxExponent));
    }

    private readonly unsafe struct ForwardKernel(float* output, float* inp) : IRangeKernel
    {
        public void Execute(int start, int end) =>
            ForwardRange(new Span<float>(output + start, end - start), new ReadOnlySpan<float>(inp + start, end - start));
    }

    private readonly unsafe struct BackwardKernel(float* dinp, float* inp, float* dout) : IRangeKernel
    {
        public void Execute(int start, int end) => BackwardRange(
            new Span<float>(dinp + start, end - start),
            new ReadOnlySpan<float>(inp + start, end - start),
            new ReadOnlySpan<float>(dout + start, end - start));
    }
}
