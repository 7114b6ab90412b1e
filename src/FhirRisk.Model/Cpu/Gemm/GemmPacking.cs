using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous, zero-padded panels the micro-kernels stream through, so the
/// inner loop reads memory sequentially whatever the operands' strides (transposes included) and edge tiles need no
/// special case: padding rows and columns contribute exact zeros.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs rows [0, rows) × columns [0, kc) of <paramref name="a"/> into panels of <paramref name="mr"/> rows:
    /// panel q holds element (q·mr + r, p) at <c>dst[q·mr·kc + p·mr + r]</c>, rows past <paramref name="rows"/> zero.
    /// </summary>
    public static void PackA(StridedMatrix a, int rows, int kc, int mr, float* dst)
    {
        for (var i = 0; i < rows; i += mr)
        {
            var panelRows = Math.Min(mr, rows - i);
            PackPanel(a.At(i, 0), panelRows, kc, mr, dst + (nint)i * kc);
        }
    }

    /// <summary>
    /// Packs rows [0, kc) × columns [0, columns) of <paramref name="b"/> into panels of <paramref name="nr"/> columns:
    /// panel q holds element (p, q·nr + j) at <c>dst[q·nr·kc + p·nr + j]</c>, columns past <paramref name="columns"/> zero.
    /// </summary>
    public static void PackB(StridedMatrix b, int kc, int columns, int nr, float* dst)
    {
        // A column panel of B is a row panel of Bᵀ: the same copy with the strides swapped.
        var bT = new StridedMatrix(b.Data, b.ColumnStride, b.RowStride);
        for (var j = 0; j < columns; j += nr)
        {
            var panelColumns = Math.Min(nr, columns - j);
            PackPanel(bT.At(j, 0), panelColumns, kc, nr, dst + (nint)j * kc);
        }
    }

    /// <summary>dst[p·width + r] = x(r, p) for r &lt; count, 0 for count ≤ r &lt; width. One of x's strides is 1.</summary>
    private static void PackPanel(StridedMatrix x, int count, int kc, int width, float* dst)
    {
        Debug.Assert(x.RowStride == 1 || x.ColumnStride == 1, "StridedMatrix.Of always makes one stride 1.");
        if (x.RowStride == 1)
            CopyContiguousColumns(x, count, kc, width, dst);
        else
            GatherRows(x, count, kc, width, dst);
    }

    /// <summary>Each column of the panel is contiguous in memory: one copy of <paramref name="count"/> floats per p.</summary>
    private static void CopyContiguousColumns(StridedMatrix x, int count, int kc, int width, float* dst)
    {
        for (var p = 0; p < kc; p++)
        {
            var src = x.Data + p * x.ColumnStride;
            var d = dst + p * width;
            var r = 0;
            for (; r <= count - Vector256<float>.Count; r += Vector256<float>.Count)
                Vector256.Store(Vector256.Load(src + r), d + r);
            for (; r < count; r++)
                d[r] = src[r];
        }

        ZeroPadding(count, kc, width, dst);
    }

    /// <summary>
    /// Each row of the panel is contiguous, so packing is a transpose: 8×8 blocks go through registers (eight row
    /// loads, eight column stores), several times faster than element by element, which matters because packing a
    /// transposed-in-memory operand costs about as much as the micro-kernel when the other dimension is only 256.
    /// </summary>
    private static void GatherRows(StridedMatrix x, int count, int kc, int width, float* dst)
    {
        var r = 0;
        if (Avx.IsSupported)
        {
            for (; r + 8 <= count; r += 8)
            {
                var p = 0;
                for (; p + 8 <= kc; p += 8)
                    Transpose8x8(x.Data + r * x.RowStride + p, x.RowStride, dst + p * width + r, width);
                GatherScalar(x.At(r, p), 8, kc - p, width, dst + p * width + r);
            }
        }

        GatherScalar(x.At(r, 0), count - r, kc, width, dst + r);
        ZeroPadding(count, kc, width, dst);
    }

    private static void GatherScalar(StridedMatrix x, int rows, int kc, int width, float* dst)
    {
        for (var r = 0; r < rows; r++)
        {
            var src = x.Data + r * x.RowStride;
            var d = dst + r;
            for (var p = 0; p < kc; p++)
                d[p * width] = src[p];
        }
    }

    /// <summary>dst[q·ldd + r] = src[r·lds + q] for an 8×8 block: unpack pairs, shuffle quads, swap 128-bit halves.</summary>
    private static void Transpose8x8(float* src, nint lds, float* dst, nint ldd)
    {
        var t0 = Avx.UnpackLow(Avx.LoadVector256(src), Avx.LoadVector256(src + lds));
        var t1 = Avx.UnpackHigh(Avx.LoadVector256(src), Avx.LoadVector256(src + lds));
        var t2 = Avx.UnpackLow(Avx.LoadVector256(src + 2 * lds), Avx.LoadVector256(src + 3 * lds));
        var t3 = Avx.UnpackHigh(Avx.LoadVector256(src + 2 * lds), Avx.LoadVector256(src + 3 * lds));
        var t4 = Avx.UnpackLow(Avx.LoadVector256(src + 4 * lds), Avx.LoadVector256(src + 5 * lds));
        var t5 = Avx.UnpackHigh(Avx.LoadVector256(src + 4 * lds), Avx.LoadVector256(src + 5 * lds));
        var t6 = Avx.UnpackLow(Avx.LoadVector256(src + 6 * lds), Avx.LoadVector256(src + 7 * lds));
        var t7 = Avx.UnpackHigh(Avx.LoadVector256(src + 6 * lds), Avx.LoadVector256(src + 7 * lds));
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    private static void ZeroPadding(int count, int kc, int width, float* dst)
    {
        if (count == width)
            return;
        for (var p = 0; p < kc; p++)
            new Span<float>(dst + p * width + count, width - count).Clear();
    }
}
