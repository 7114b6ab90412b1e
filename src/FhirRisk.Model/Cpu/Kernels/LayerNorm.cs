using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// Layer normalisation over the channel axis (Ba, Kiros and Hinton 2016, §3) with an elementwise affine:
/// <c>out = (x − mean)·rstd·weight + bias</c>, <c>rstd = 1/√(var + 1e-5)</c>, biased variance, as PyTorch's LayerNorm.
/// </summary>
/// <remarks>
/// The forward pass is parallel over rows. The backward pass is two passes: <c>dinp</c> in parallel over rows
/// (each row needs only its own two channel sums), then <c>dweight</c>/<c>dbias</c> in parallel over channel ranges,
/// each channel summing its rows in row order. No thread owns a partial sum, so the gradients are bit-identical for
/// any thread count, and no scratch is needed.
/// </remarks>
public static class LayerNorm
{
    /// <summary>The variance epsilon, as GPT-2 and PyTorch's default.</summary>
    public const float Epsilon = 1e-5f;

    /// <summary>Normalises each row of <paramref name="inp"/> and saves its statistics for the backward pass.</summary>
    /// <param name="output">(N, C) normalised rows; must not overlap <paramref name="inp"/>.</param>
    /// <param name="mean">(N) row means, saved for <see cref="Backward"/>.</param>
    /// <param name="rstd">(N) reciprocal row standard deviations, saved for <see cref="Backward"/>.</param>
    /// <param name="inp">(N, C) input rows.</param>
    /// <param name="weight">(C) scale.</param>
    /// <param name="bias">(C) shift.</param>
    /// <param name="N">Rows (B·T).</param>
    /// <param name="C">Channels.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static unsafe void Forward(Span<float> output, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> inp,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int N, int C, ComputeOptions? options = null)
    {
        CheckShapes(output, inp, weight, bias, mean, rstd, N, C);
        fixed (float* pOut = output, pMean = mean, pRstd = rstd, pInp = inp, pW = weight, pB = bias)
        {
            ParallelRows.For(N, 3L * C, options, new ForwardKernel(pOut, pMean, pRstd, pInp, pW, pB, C));
        }
    }

    /// <summary>Accumulates the gradients of <see cref="Forward"/> into <paramref name="dinp"/>,
    /// <paramref name="dweight"/> and <paramref name="dbias"/>.</summary>
    /// <param name="dinp">(N, C) input gradient, accumulated.</param>
    /// <param name="dweight">(C) scale gradient, accumulated.</param>
    /// <param name="dbias">(C) shift gradient, accumulated.</param>
    /// <param name="dout">(N, C) output gradient.</param>
    /// <param name="inp">(N, C) the forward input.</param>
    /// <param name="weight">(C) scale.</param>
    /// <param name="mean">(N) saved by <see cref="Forward"/>.</param>
    /// <param name="rstd">(N) saved by <see cref="Forward"/>.</param>
    /// <param name="N">Rows (B·T).</param>
    /// <param name="C">Channels.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static unsafe void Backward(Span<float> dinp, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dout,
        ReadOnlySpan<float> inp, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        int N, int C, ComputeOptions? options = null)
    {
        CheckShapes(dinp, inp, weight, dweight, mean, rstd, N, C);
        if (dout.Length != inp.Length || dbias.Length != C)
            throw new ArgumentException("dout must be (N, C) and dbias (C).");
        if (dinp.Overlaps(dout))
            throw new ArgumentException("dinp must not overlap dout.", nameof(dinp));

        fixed (float* pDinp = dinp, pDw = dweight, pDb = dbias, pDout = dout, pInp = inp, pW = weight, pMean = mean, pRstd = rstd)
        {
            ParallelRows.For(N, 4L * C, options, new InputGradientKernel(pDinp, pDout, pInp, pW, pMean, pRstd, C));
            ParallelRows.For(C, 3L * N, options, new ParameterGradientKernel(pDw, pDb, pDout, pInp, pMean, pRstd, N, C),
                Vector512<float>.Count);
        }
    }

    private static void CheckShapes(ReadOnlySpan<float> output, ReadOnlySpan<float> inp, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int N, int C)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(N);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(C);
        if (inp.Length != (long)N * C || output.Length != inp.Length)
            throw new ArgumentException($"inp and its counterpart must be (N, C) = ({N}, {C}).");
        if (weight.Length != C || bias.Length != C)
            throw new ArgumentException($"weight and bias (or their gradients) must have C = {C} elements.");
        if (mean.Length != N || rstd.Length != N)
            throw new ArgumentException($"mean and rstd must have N = {N} elements.");
        if (output.Overlaps(inp))
            throw new ArgumentException("the output must not overlap inp.");
    }

    private static void ForwardRow(Span<float> output, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, out float mean, out float rstd)
    {
        mean = RowKernels.Sum(x) / x.Length;
        var variance = RowKernels.SumSquaredDeviation(x, mean) / x.Length;
        rstd = 1f / MathF.Sqrt(variance + Epsilon);
        RowKernels.NormalizeAffine(output, x, weight, bias, mean, rstd);
    }

    private readonly unsafe struct ForwardKernel(float* output, float* mean, float* rstd, float* inp, float* weight, float* bias, int C)
        : IRangeKernel
    {
        public void Execute(int start, int end)
        {
            var w = new ReadOnlySpan<float>(weight, C);
            var b = new ReadOnlySpan<float>(bias, C);
            for (var n = start; n < end; n++)
                ForwardRow(new Span<float>(output + (long)n * C, C), new ReadOnlySpan<float>(inp + (long)n * C, C), w, b, out mean[n], out rstd[n]);
        }
    }

    // dinp = rstd·(w·dout − mean(w·dout) − norm·mean(w·dout·norm)), norm = (x − mean)·rstd (llm.c layernorm_backward).
    private readonly unsafe struct InputGradientKernel(float* dinp, float* dout, float* inp, float* weight, float* mean, float* rstd, int C)
        : IRangeKernel
    {
        public void Execute(int start, int end)
        {
            var w = new ReadOnlySpan<float>(weight, C);
            for (var n = start; n < end; n++)
            {
                var offset = (long)n * C;
                var g = new ReadOnlySpan<float>(dout + offset, C);
                var x = new ReadOnlySpan<float>(inp + offset, C);
                var (dnormSum, dnormNormSum) = RowKernels.NormGradientSums(g, x, w, mean[n], rstd[n]);
                RowKernels.AccumulateInputGradient(new Span<float>(dinp + offset, C), g, x, w, mean[n], rstd[n],
                    dnormSum / C, dnormNormSum / C);
            }
        }
    }

    private readonly unsafe struct ParameterGradientKernel(float* dweight, float* dbias, float* dout, float* inp, float* mean, float* rstd, int N, int C)
        : IRangeKernel
    {
        public void Execute(int start, int end)
        {
            var dw = new Span<float>(dweight + start, end - start);
            var db = new Span<float>(dbias + start, end - start);
            for (var n = 0; n < N; n++)
            {
                var offset = (long)n * C + start;
                RowKernels.AccumulateParameterGradients(dw, db, new ReadOnlySpan<float>(dout + offset, end - start),
                    new ReadOnlySpan<float>(inp + offset, end - start), mean[n], rstd[n]);
            }
        }
    }

    /// <summary>Vectorised loops over one row (or one channel range of a row).</summary>
    private static class RowKernels
    {
        public static float Sum(ReadOnlySpan<float> x)
        {
            ref var r = ref MemoryMarshal.GetReference(x);
            var n = (nuint)x.Length;
            nuint i = 0;
            var sum = 0f;
            if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<float>.Count)
            {
                var acc = Vector512<float>.Zero;
                for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
                    acc += Vector512.LoadUnsafe(ref r, i);
                sum = Vector512.Sum(acc);
            }
            else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<float>.Count)
            {
                var acc = Vector256<float>.Zero;
                for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
                    acc += Vector256.LoadUnsafe(ref r, i);
                sum = Vector256.Sum(acc);
            }

            for (; i < n; i++)
                sum += Unsafe.Add(ref r, i);
            return sum;
        }

        public static float SumSquaredDeviation(ReadOnlySpan<float> x, float mean)
        {
            ref var r = ref MemoryMarshal.GetReference(x);
            var n = (nuint)x.Length;
            nuint i = 0;
            var sum = 0f;
            if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<float>.Count)
            {
                var acc = Vector512<float>.Zero;
                var m = Vector512.Create(mean);
                for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
                {
                    var d = Vector512.LoadUnsafe(ref r, i) - m;
                    acc = Vector512.FusedMultiplyAdd(d, d, acc);
                }

                sum = Vector512.Sum(acc);
            }
            else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<float>.Count)
            {
                var acc = Vector256<float>.Zero;
                var m = Vector256.Create(mean);
                for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
                {
                    var d = Vector256.LoadUnsafe(ref r, i) - m;
                    acc = Vector256.FusedMultiplyAdd(d, d, acc);
                }

                sum = Vector256.Sum(acc);
            }

            for (; i < n; i++)
            {
                var d = Unsafe.Add(ref r, i) - mean;
                sum = MathF.FusedMultiplyAdd(d, d, sum);
            }

            return sum;
        }

        public static void NormalizeAffine(Span<float> output, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
            ReadOnlySpan<float> bias, float mean, float rstd)
        {
            ref var o = ref MemoryMarshal.GetReference(output);
            ref var r = ref MemoryMarshal.GetReference(x);
            ref var w = ref MemoryMarshal.GetReference(weight);
            ref var b = ref MemoryMarshal.GetReference(bias);
            var n = (nuint)x.Length;
            nuint i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var m = Vector512.Create(mean);
                var s = Vector512.Create(rstd);
                for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
                {
                    var norm = (Vector512.LoadUnsafe(ref r, i) - m) * s;
                    Vector512.FusedMultiplyAdd(norm, Vector512.LoadUnsafe(ref w, i), Vector512.LoadUnsafe(ref b, i)).StoreUnsafe(ref o, i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var m = Vector256.Create(mean);
                var s = Vector256.Create(rstd);
                for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
                {
                    var norm = (Vector256.LoadUnsafe(ref r, i) - m) * s;
                    Vector256.FusedMultiplyAdd(norm, Vector256.LoadUnsafe(ref w, i), Vector256.LoadUnsafe(ref b, i)).StoreUnsafe(ref o, i);
                }
            }

            for (; i < n; i++)
                Unsafe.Add(ref o, i) = MathF.FusedMultiplyAdd((Unsafe.Add(ref r, i) - mean) * rstd, Unsafe.Add(ref w, i), Unsafe.Add(ref b, i));
        }

        /// <summary>Returns Σ w·dout and Σ w·dout·norm over the row.</summary>
        public static (float DnormSum, float DnormNormSum) NormGradientSums(ReadOnlySpan<float> dout, ReadOnlySpan<float> x,
            ReadOnlySpan<float> weight, float mean, float rstd)
        {
            ref var g = ref MemoryMarshal.GetReference(dout);
            ref var r = ref MemoryMarshal.GetReference(x);
            ref var w = ref MemoryMarshal.GetReference(weight);
            var n = (nuint)x.Length;
            nuint i = 0;
            float dnormSum = 0f, dnormNormSum = 0f;
            if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<float>.Count)
            {
                Vector512<float> accD = default, accDN = default;
                var m = Vector512.Create(mean);
                var s = Vector512.Create(rstd);
                for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
                {
                    var dnorm = Vector512.LoadUnsafe(ref w, i) * Vector512.LoadUnsafe(ref g, i);
                    accD += dnorm;
                    accDN = Vector512.FusedMultiplyAdd(dnorm, (Vector512.LoadUnsafe(ref r, i) - m) * s, accDN);
                }

                (dnormSum, dnormNormSum) = (Vector512.Sum(accD), Vector512.Sum(accDN));
            }
            else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<float>.Count)
            {
                Vector256<float> accD = default, accDN = default;
                var m = Vector256.Create(mean);
                var s = Vector256.Create(rstd);
                for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
                {
                    var dnorm = Vector256.LoadUnsafe(ref w, i) * Vector256.LoadUnsafe(ref g, i);
                    accD += dnorm;
                    accDN = Vector256.FusedMultiplyAdd(dnorm, (Vector256.LoadUnsafe(ref r, i) - m) * s, accDN);
                }

                (dnormSum, dnormNormSum) = (Vector256.Sum(accD), Vector256.Sum(accDN));
            }

            for (; i < n; i++)
            {
                var dnorm = Unsafe.Add(ref w, i) * Unsafe.Add(ref g, i);
                dnormSum += dnorm;
                dnormNormSum = MathF.FusedMultiplyAdd(dnorm, (Unsafe.Add(ref r, i) - mean) * rstd, dnormNormSum);
            }

            return (dnormSum, dnormNormSum);
        }

        public static void AccumulateInputGradient(Span<float> dinp, ReadOnlySpan<float> dout, ReadOnlySpan<float> x,
            ReadOnlySpan<float> weight, float mean, float rstd, float dnormMean, float dnormNormMean)
        {
            ref var d = ref MemoryMarshal.GetReference(dinp);
            ref var g = ref MemoryMarshal.GetReference(dout);
            ref var r = ref MemoryMarshal.GetReference(x);
            ref var w = ref MemoryMarshal.GetReference(weight);
            var n = (nuint)x.Length;
            nuint i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var (m, s) = (Vector512.Create(mean), Vector512.Create(rstd));
                var (dm, dnm) = (Vector512.Create(dnormMean), Vector512.Create(dnormNormMean));
                for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
                {
                    var norm = (Vector512.LoadUnsafe(ref r, i) - m) * s;
                    var centered = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref w, i), Vector512.LoadUnsafe(ref g, i), -dm);
                    var grad = Vector512.FusedMultiplyAdd(-norm, dnm, centered);
                    Vector512.FusedMultiplyAdd(grad, s, Vector512.LoadUnsafe(ref d, i)).StoreUnsafe(ref d, i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var (m, s) = (Vector256.Create(mean), Vector256.Create(rstd));
                var (dm, dnm) = (Vector256.Create(dnormMean), Vector256.Create(dnormNormMean));
                for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
                {
                    var norm = (Vector256.LoadUnsafe(ref r, i) - m) * s;
                    var centered = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref w, i), Vector256.LoadUnsafe(ref g, i), -dm);
                    var grad = Vector256.FusedMultiplyAdd(-norm, dnm, centered);
                    Vector256.FusedMultiplyAdd(grad, s, Vector256.LoadUnsafe(ref d, i)).StoreUnsafe(ref d, i);
                }
            }

            for (; i < n; i++)
            {
                var norm = (Unsafe.Add(ref r, i) - mean) * rstd;
                var centered = MathF.FusedMultiplyAdd(Unsafe.Add(ref w, i), Unsafe.Add(ref g, i), -dnormMean);
                var grad = MathF.FusedMultiplyAdd(-norm, dnormNormMean, centered);
                Unsafe.Add(ref d, i) = MathF.FusedMultiplyAdd(grad, rstd, Unsafe.Add(ref d, i));
            }
        }

        /// <summary><c>dweight += dout·norm</c>, <c>dbias += dout</c>; vector and scalar paths do the same fused
        /// operations so a channel's result does not depend on which path (which thread count) handled it.</summary>
        public static void AccumulateParameterGradients(Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dout,
            ReadOnlySpan<float> x, float mean, float rstd)
        {
            ref var dw = ref MemoryMarshal.GetReference(dweight);
            ref var db = ref MemoryMarshal.GetReference(dbias);
            ref var g = ref MemoryMarshal.GetReference(dout);
            ref var r = ref MemoryMarshal.GetReference(x);
            var n = (nuint)x.Length;
            nuint i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var (m, s) = (Vector512.Create(mean), Vector512.Create(rstd));
                for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
                {
                    var grad = Vector512.LoadUnsafe(ref g, i);
                    var norm = (Vector512.LoadUnsafe(ref r, i) - m) * s;
                    Vector512.FusedMultiplyAdd(grad, norm, Vector512.LoadUnsafe(ref dw, i)).StoreUnsafe(ref dw, i);
                    (Vector512.LoadUnsafe(ref db, i) + grad).StoreUnsafe(ref db, i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var (m, s) = (Vector256.Create(mean), Vector256.Create(rstd));
                for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
                {
                    var grad = Vector256.LoadUnsafe(ref g, i);
                    var norm = (Vector256.LoadUnsafe(ref r, i) - m) * s;
                    Vector256.FusedMultiplyAdd(grad, norm, Vector256.LoadUnsafe(ref dw, i)).StoreUnsafe(ref dw, i);
                    (Vector256.LoadUnsafe(ref db, i) + grad).StoreUnsafe(ref db, i);
                }
            }

            for (; i < n; i++)
            {
                var grad = Unsafe.Add(ref g, i);
                Unsafe.Add(ref dw, i) = MathF.FusedMultiplyAdd(grad, (Unsafe.Add(ref r, i) - mean) * rstd, Unsafe.Add(ref dw, i));
                Unsafe.Add(ref db, i) += grad;
            }
        }
    }
}
