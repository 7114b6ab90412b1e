using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// Softmax over the vocabulary fused with the cross-entropy loss against target ids, as PyTorch's
/// <c>cross_entropy(logits, targets, ignore_index=-100)</c> with mean reduction.
/// </summary>
/// <remarks>
/// Logits are (N, Vp): only the first V columns are real; the padding up to Vp (a multiple of 64 in the model) is
/// treated as −∞, so it is never read and its probabilities and gradients are 0. Every row subtracts its maximum
/// before exponentiating, so logits of ±1e4 give finite losses and gradients. Rows are independent and the mean is
/// summed in row order in double, so results do not depend on the thread count.
/// </remarks>
public static class SoftmaxCrossEntropy
{
    /// <summary>Target id that marks a row with no loss and no gradient (PyTorch's default <c>ignore_index</c>).</summary>
    public const int IgnoreIndex = -100;

    /// <summary>Computes each row's loss <c>−log softmax(logits[n])[targets[n]]</c> and returns their mean over the
    /// rows whose target is not <see cref="IgnoreIndex"/> (0 when every row is ignored, where PyTorch gives NaN).</summary>
    /// <param name="losses">(N) per-row losses; 0 for ignored rows.</param>
    /// <param name="logits">(N, Vp) logits; columns V..Vp are padding and are not read.</param>
    /// <param name="targets">(N) target ids in [0, V), or <see cref="IgnoreIndex"/>.</param>
    /// <param name="N">Rows (B·T).</param>
    /// <param name="V">Real vocabulary size.</param>
    /// <param name="Vp">Padded row length, at least V.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static unsafe float Forward(Span<float> losses, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets,
        int N, int V, int Vp, ComputeOptions? options = null)
    {
        CheckShapes(logits, N, V, Vp);
        CheckTargets(targets, N, V);
        if (losses.Length != N)
            throw new ArgumentException($"losses must have N = {N} elements.", nameof(losses));

        fixed (float* pLosses = losses, pLogits = logits)
        fixed (int* pTargets = targets)
        {
            ParallelRows.For(N, 2L * V, options, new LossKernel(pLosses, pLogits, pTargets, V, Vp));
        }

        var (sum, count) = (0.0, 0);
        for (var n = 0; n < N; n++)
        {
            if (targets[n] == IgnoreIndex)
                continue;
            sum += losses[n];
            count++;
        }

        return count == 0 ? 0f : (float)(sum / count);
    }

    /// <summary>Writes the gradient of the mean loss: <c>dlogits[n] = (softmax(logits[n]) − onehot(targets[n])) / count</c>
    /// for counted rows, 0 for ignored rows and padded columns.</summary>
    /// <remarks>
    /// Unlike the other backward kernels this one overwrites rather than accumulates: it starts the backward pass,
    /// and <paramref name="dlogits"/> may be the very same buffer as <paramref name="logits"/>, which then holds the
    /// gradient in place of the logits (saving an (N, Vp) buffer, the largest activation of a GPT).
    /// </remarks>
    /// <param name="dlogits">(N, Vp) gradient, overwritten; the same buffer as <paramref name="logits"/> or disjoint from it.</param>
    /// <param name="logits">(N, Vp) logits.</param>
    /// <param name="targets">(N) target ids in [0, V), or <see cref="IgnoreIndex"/>.</param>
    /// <param name="N">Rows (B·T).</param>
    /// <param name="V">Real vocabulary size.</param>
    /// <param name="Vp">Padded row length, at least V.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static unsafe void Backward(Span<float> dlogits, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets,
        int N, int V, int Vp, ComputeOptions? options = null)
    {
        CheckShapes(logits, N, V, Vp);
        CheckTargets(targets, N, V);
        CheckOutput(dlogits, logits);
        var count = 0;
        foreach (var target in targets)
            count += target == IgnoreIndex ? 0 : 1;

        fixed (float* pDlogits = dlogits, pLogits = logits)
        fixed (int* pTargets = targets)
        {
            ParallelRows.For(N, 3L * V, options, new GradientKernel(pDlogits, pLogits, pTargets, V, Vp, count == 0 ? 0f : 1f / count));
        }
    }

    /// <summary>Writes row-wise probabilities <c>softmax(logits[n, 0..V))</c>, with 0 in the padded columns.</summary>
    /// <param name="probs">(N, Vp) probabilities; the same buffer as <paramref name="logits"/> or disjoint from it.</param>
    /// <param name="logits">(N, Vp) logits.</param>
    /// <param name="N">Rows.</param>
    /// <param name="V">Real vocabulary size.</param>
    /// <param name="Vp">Padded row length, at least V.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static unsafe void Softmax(Span<float> probs, ReadOnlySpan<float> logits, int N, int V, int Vp, ComputeOptions? options = null)
    {
        CheckShapes(logits, N, V, Vp);
        CheckOutput(probs, logits);
        fixed (float* pProbs = probs, pLogits = logits)
        {
            ParallelRows.For(N, 3L * V, options, new GradientKernel(pProbs, pLogits, null, V, Vp, 1f));
        }
    }

    private static void CheckShapes(ReadOnlySpan<float> logits, int N, int V, int Vp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(N);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(V);
        ArgumentOutOfRangeException.ThrowIfLessThan(Vp, V);
        if (logits.Length != (long)N * Vp)
            throw new ArgumentException($"logits must be (N, Vp) = ({N}, {Vp}).", nameof(logits));
    }

    /// <summary>Checks every target up front: the kernels index the rows through raw pointers.</summary>
    private static void CheckTargets(ReadOnlySpan<int> targets, int N, int V)
    {
        if (targets.Length != N)
            throw new ArgumentException($"targets must have N = {N} elements.", nameof(targets));
        foreach (var target in targets)
        {
            if (target != IgnoreIndex && (uint)target >= (uint)V)
                throw new ArgumentOutOfRangeException(nameof(targets), target, $"a target is outside [0, {V}) and is not {IgnoreIndex}.");
        }
    }

    private static void CheckOutput(ReadOnlySpan<float> output, ReadOnlySpan<float> logits)
    {
        if (output.Length != logits.Length)
            throw new ArgumentException("the output must be (N, Vp), like logits.");
        if (output.Overlaps(logits, out var offset) && offset != 0)
            throw new ArgumentException("the output must be the same buffer as logits or disjoint from it.");
    }

    /// <summary>Returns the row maximum and <c>Σ exp(x − max)</c> over the real columns.</summary>
    private static (float Max, float SumExp) MaxAndSumExp(ReadOnlySpan<float> x)
    {
        var max = Max(x);
        return (max, SumExp(x, max));
    }

    private static float Max(ReadOnlySpan<float> x)
    {
        ref var r = ref MemoryMarshal.GetReference(x);
        var n = (nuint)x.Length;
        var max = float.NegativeInfinity;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<float>.Count)
        {
            var acc = Vector512.Create(float.NegativeInfinity);
            for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
                acc = Vector512.Max(acc, Vector512.LoadUnsafe(ref r, i));
            max = HorizontalMax(acc.GetLower(), acc.GetUpper());
        }
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<float>.Count)
        {
            var acc = Vector256.Create(float.NegativeInfinity);
            for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
                acc = Vector256.Max(acc, Vector256.LoadUnsafe(ref r, i));
            max = HorizontalMax(acc, acc);
        }

        for (; i < n; i++)
            max = MathF.Max(max, Unsafe.Add(ref r, i));
        return max;
    }

    private static float HorizontalMax(Vector256<float> a, Vector256<float> b)
    {
        var m = Vector256.Max(a, b);
        var max = m[0];
        for (var lane = 1; lane < Vector256<float>.Count; lane++)
            max = MathF.Max(max, m[lane]);
        return max;
    }

    private static float SumExp(ReadOnlySpan<float> x, float max)
    {
        ref var r = ref MemoryMarshal.GetReference(x);
        var n = (nuint)x.Length;
        var sum = 0f;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && n >= (nuint)Vector512<float>.Count)
        {
            var (m, acc) = (Vector512.Create(max), Vector512<float>.Zero);
            for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
                acc += FastExp.Exp(Vector512.LoadUnsafe(ref r, i) - m);
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && n >= (nuint)Vector256<float>.Count)
        {
            var (m, acc) = (Vector256.Create(max), Vector256<float>.Zero);
            for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
                acc += FastExp.Exp(Vector256.LoadUnsafe(ref r, i) - m);
            sum = Vector256.Sum(acc);
        }

        for (; i < n; i++)
            sum += FastExp.Exp(Unsafe.Add(ref r, i) - max);
        return sum;
    }

    /// <summary><c>output = exp(x − max)·scale</c>; reads each index before writing it, so exact aliasing is safe.</summary>
    private static void ScaledExp(Span<float> output, ReadOnlySpan<float> x, float max, float scale)
    {
        ref var o = ref MemoryMarshal.GetReference(output);
        ref var r = ref MemoryMarshal.GetReference(x);
        var n = (nuint)x.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var (m, s) = (Vector512.Create(max), Vector512.Create(scale));
            for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
                (FastExp.Exp(Vector512.LoadUnsafe(ref r, i) - m) * s).StoreUnsafe(ref o, i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var (m, s) = (Vector256.Create(max), Vector256.Create(scale));
            for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
                (FastExp.Exp(Vector256.LoadUnsafe(ref r, i) - m) * s).StoreUnsafe(ref o, i);
        }

        for (; i < n; i++)
            Unsafe.Add(ref o, i) = FastExp.Exp(Unsafe.Add(ref r, i) - max) * scale;
    }

    private readonly unsafe struct LossKernel(float* losses, float* logits, int* targets, int V, int Vp) : IRangeKernel
    {
        public void Execute(int start, int end)
        {
            for (var n = start; n < end; n++)
            {
                var target = targets[n];
                if (target == IgnoreIndex)
                {
                    losses[n] = 0f;
                    continue;
                }

                var row = logits + (long)n * Vp;
                var (max, sumExp) = MaxAndSumExp(new ReadOnlySpan<float>(row, V));
                // −log(e^(x_t − max) / Σ) = log Σ + max − x_t; max − x_t is exact enough even for ±1e4 logits.
                losses[n] = MathF.Log(sumExp) + (max - row[target]);
            }
        }
    }

    /// <summary>Softmax rows scaled by <c>scale</c>, minus <c>scale</c> at the target when targets are given
    /// (the cross-entropy gradient), with ignored rows and padding zeroed. Without targets it is the plain softmax.</summary>
    private readonly unsafe struct GradientKernel(float* output, float* logits, int* targets, int V, int Vp, float scale) : IRangeKernel
    {
        private const int NoTarget = -1;

        public void Execute(int start, int end)
        {
            for (var n = start; n < end; n++)
            {
                var target = targets == null ? NoTarget : targets[n];
                var row = new Span<float>(output + (long)n * Vp, Vp);
                if (target == IgnoreIndex)
                {
                    row.Clear();
                    continue;
                }

                var x = new ReadOnlySpan<float>(logits + (long)n * Vp, V);
                var (max, sumExp) = MaxAndSumExp(x);
                ScaledExp(row[..V], x, max, scale / sumExp);
                row[V..].Clear();
                if (target != NoTarget)
                    row[target] -= scale;
            }
        }
    }
}
