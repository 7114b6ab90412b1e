using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// The residual connection <c>out = a + b</c> over flat (N·C) buffers, and its backward, which routes the
/// incoming gradient unchanged to both branches.
/// </summary>
public static class Residual
{
    /// <summary>Writes <c>output[i] = a[i] + b[i]</c>.</summary>
    /// <param name="output">(N·C) destination; may be the very same buffer as <paramref name="a"/> or <paramref name="b"/>.</param>
    /// <param name="a">(N·C) first summand, usually the residual stream.</param>
    /// <param name="b">(N·C) second summand, usually the branch output.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static unsafe void Forward(Span<float> output, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ComputeOptions? options = null)
    {
        if (a.Length != output.Length || b.Length != output.Length)
            throw new ArgumentException("output, a and b must have the same length.");
        if ((output.Overlaps(a, out var offsetA) && offsetA != 0) || (output.Overlaps(b, out var offsetB) && offsetB != 0))
            throw new ArgumentException("output must be the same buffer as a or b, or disjoint from them.", nameof(output));

        fixed (float* pOut = output, pA = a, pB = b)
        {
            ParallelRows.For(output.Length, 1, options, new AddKernel(pOut, pA, pB), Vector512<float>.Count);
        }
    }

    /// <summary>Accumulates <c>da += dout</c> and <c>db += dout</c>.</summary>
    /// <param name="da">(N·C) gradient of the first summand, accumulated.</param>
    /// <param name="db">(N·C) gradient of the second summand, accumulated; may be the same buffer as <paramref name="da"/>
    /// (it then receives <c>2·dout</c>).</param>
    /// <param name="dout">(N·C) gradient of the output; must not overlap <paramref name="da"/> or <paramref name="db"/>.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static unsafe void Backward(Span<float> da, Span<float> db, ReadOnlySpan<float> dout, ComputeOptions? options = null)
    {
        if (da.Length != dout.Length || db.Length != dout.Length)
            throw new ArgumentException("da, db and dout must have the same length.");
        if (dout.Overlaps(da) || dout.Overlaps(db))
            throw new ArgumentException("dout must not overlap the gradients it is added to.", nameof(dout));

        fixed (float* pA = da, pB = db, pDout = dout)
        {
            // Two passes rather than one fused loop, so that da and db may be the same buffer.
            ParallelRows.For(dout.Length, 1, options, new AddKernel(pA, pA, pDout), Vector512<float>.Count);
            ParallelRows.For(dout.Length, 1, options, new AddKernel(pB, pB, pDout), Vector512<float>.Count);
        }
    }

    /// <summary><c>output = a + b</c> elementwise; each index is read before it is written, so exact aliasing is safe.</summary>
    internal static void Add(Span<float> output, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref var o = ref MemoryMarshal.GetReference(output);
        ref var x = ref MemoryMarshal.GetReference(a);
        ref var y = ref MemoryMarshal.GetReference(b);
        var n = (nuint)output.Length;
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector512<float>.Count <= n; i += (nuint)Vector512<float>.Count)
                (Vector512.LoadUnsafe(ref x, i) + Vector512.LoadUnsafe(ref y, i)).StoreUnsafe(ref o, i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector256<float>.Count <= n; i += (nuint)Vector256<float>.Count)
                (Vector256.LoadUnsafe(ref x, i) + Vector256.LoadUnsafe(ref y, i)).StoreUnsafe(ref o, i);
        }

        for (; i < n; i++)
            Unsafe.Add(ref o, i) = Unsafe.Add(ref x, i) + Unsafe.Add(ref y, i);
    }

    private readonly unsafe struct AddKernel(float* output, float* a, float* b) : IRangeKernel
    {
        public void Execute(int start, int end)
        {
            var length = end - start;
            Add(new Span<float>(output + start, length), new ReadOnlySpan<float>(a + start, length), new ReadOnlySpan<float>(b + start, length));
        }
    }
}
