namespace FhirRisk.Model.Cpu;

/// <summary>
/// Tile-sized building blocks of the attention kernels: a small register-blocked matrix product and the row
/// operations of an online softmax. All pointers address float32 rows; nothing here allocates.
/// </summary>
/// <remarks>
/// Every product attention needs (S = Q·Kᵀ, O += P·V, dP = dO·Vᵀ, dV += Pᵀ·dO, dQ += dS·K, dK += dSᵀ·Q) has the
/// form C += A·B where B's rows are contiguous (rows of q/k/v/dout in place, or a transposed K/V tile packed once),
/// and A is read one element at a time to broadcast, so A may be any strided view (a transposed tile costs nothing).
/// The micro-kernel keeps a 4 × 2-vector block of C in registers: per step of the inner dimension, 2 loads of B,
/// 4 broadcasts of A, 8 fused multiply-adds, enough independent chains to cover FMA latency.
/// </remarks>
internal static unsafe class AttentionTiles<TVec, TSimd>
    where TVec : struct
    where TSimd : struct, IAttentionSimd<TVec>
{
    /// <summary>
    /// <c>C[m×n] = (accumulate ? C : 0) + A[m×k]·B[k×n]</c>. A(i, p) is <c>a[i·aRow + p·aCol]</c>; row p of B starts at
    /// <c>b + p·ldb</c>; row i of C at <c>c + i·ldc</c>.
    /// </summary>
    public static void MultiplyAdd(float* a, int aRow, int aCol, float* b, int ldb, float* c, int ldc, int m, int n, int k, bool accumulate)
    {
        var i = 0;
        for (; i + 4 <= m; i += 4)
            FourRows(a + (long)i * aRow, aRow, aCol, b, ldb, c + (long)i * ldc, ldc, n, k, accumulate);
        for (; i < m; i++)
            OneRow(a + (long)i * aRow, aCol, b, ldb, c + (long)i * ldc, n, k, accumulate);
    }

    private static void FourRows(float* a, int aRow, int aCol, float* b, int ldb, float* c, int ldc, int n, int k, bool accumulate)
    {
        var w = TSimd.Count;
        float* a0 = a, a1 = a + aRow, a2 = a + 2 * aRow, a3 = a + 3 * aRow;
        float* c0 = c, c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc;
        var j = 0;
        for (; j + 2 * w <= n; j += 2 * w)
        {
            TVec x00 = Start(c0 + j, accumulate), x01 = Start(c0 + j + w, accumulate);
            TVec x10 = Start(c1 + j, accumulate), x11 = Start(c1 + j + w, accumulate);
            TVec x20 = Start(c2 + j, accumulate), x21 = Start(c2 + j + w, accumulate);
            TVec x30 = Start(c3 + j, accumulate), x31 = Start(c3 + j + w, accumulate);
            var bp = b + j;
            for (var p = 0; p < k; p++, bp += ldb)
            {
                TVec b0 = TSimd.Load(bp), b1 = TSimd.Load(bp + w);
                var offset = (long)p * aCol;
                var s = TSimd.Broadcast(a0[offset]);
                x00 = TSimd.MultiplyAdd(s, b0, x00);
                x01 = TSimd.MultiplyAdd(s, b1, x01);
                s = TSimd.Broadcast(a1[offset]);
                x10 = TSimd.MultiplyAdd(s, b0, x10);
                x11 = TSimd.MultiplyAdd(s, b1, x11);
                s = TSimd.Broadcast(a2[offset]);
                x20 = TSimd.MultiplyAdd(s, b0, x20);
                x21 = TSimd.MultiplyAdd(s, b1, x21);
                s = TSimd.Broadcast(a3[offset]);
                x30 = TSimd.MultiplyAdd(s, b0, x30);
                x31 = TSimd.MultiplyAdd(s, b1, x31);
            }

            TSimd.Store(x00, c0 + j); TSimd.Store(x01, c0 + j + w);
            TSimd.Store(x10, c1 + j); TSimd.Store(x11, c1 + j + w);
            TSimd.Store(x20, c2 + j); TSimd.Store(x21, c2 + j + w);
            TSimd.Store(x30, c3 + j); TSimd.Store(x31, c3 + j + w);
        }

        for (; j + w <= n; j += w)
        {
            TVec x0 = Start(c0 + j, accumulate), x1 = Start(c1 + j, accumulate);
            TVec x2 = Start(c2 + j, accumulate), x3 = Start(c3 + j, accumulate);
            var bp = b + j;
            for (var p = 0; p < k; p++, bp += ldb)
            {
                var b0 = TSimd.Load(bp);
                var offset = (long)p * aCol;
                x0 = TSimd.MultiplyAdd(TSimd.Broadcast(a0[offset]), b0, x0);
                x1 = TSimd.MultiplyAdd(TSimd.Broadcast(a1[offset]), b0, x1);
                x2 = TSimd.MultiplyAdd(TSimd.Broadcast(a2[offset]), b0, x2);
                x3 = TSimd.MultiplyAdd(TSimd.Broadcast(a3[offset]), b0, x3);
            }

            TSimd.Store(x0, c0 + j); TSimd.Store(x1, c1 + j);
            TSimd.Store(x2, c2 + j); TSimd.Store(x3, c3 + j);
        }

        for (; j < n; j++)
        {
            ScalarColumn(a0, aCol, b + j, ldb, c0 + j, k, accumulate);
            ScalarColumn(a1, aCol, b + j, ldb, c1 + j, k, accumulate);
            ScalarColumn(a2, aCol, b + j, ldb, c2 + j, k, accumulate);
            ScalarColumn(a3, aCol, b + j, ldb, c3 + j, k, accumulate);
        }
    }

    private static void OneRow(float* a, int aCol, float* b, int ldb, float* c, int n, int k, bool accumulate)
    {
        var w = TSimd.Count;
        var j = 0;
        for (; j + 2 * w <= n; j += 2 * w)
        {
            TVec x0 = Start(c + j, accumulate), x1 = Start(c + j + w, accumulate);
            var bp = b + j;
            for (var p = 0; p < k; p++, bp += ldb)
            {
                var s = TSimd.Broadcast(a[(long)p * aCol]);
                x0 = TSimd.MultiplyAdd(s, TSimd.Load(bp), x0);
                x1 = TSimd.MultiplyAdd(s, TSimd.Load(bp + w), x1);
            }

            TSimd.Store(x0, c + j);
            TSimd.Store(x1, c + j + w);
        }

        for (; j + w <= n; j += w)
        {
            var x = Start(c + j, accumulate);
            var bp = b + j;
            for (var p = 0; p < k; p++, bp += ldb)
                x = TSimd.MultiplyAdd(TSimd.Broadcast(a[(long)p * aCol]), TSimd.Load(bp), x);
            TSimd.Store(x, c + j);
        }

        for (; j < n; j++)
            ScalarColumn(a, aCol, b + j, ldb, c + j, k, accumulate);
    }

    private static TVec Start(float* c, bool accumulate) => accumulate ? TSimd.Load(c) : TSimd.Zero;

    private static void ScalarColumn(float* a, int aCol, float* b, int ldb, float* c, int k, bool accumulate)
    {
        var sum = accumulate ? *c : 0f;
        for (var p = 0; p < k; p++)
            sum = MathF.FusedMultiplyAdd(a[(long)p * aCol], b[(long)p * ldb], sum);
        *c = sum;
    }

    /// <summary>Copies <paramref name="rows"/> rows of <paramref name="width"/> floats (row stride <paramref name="stride"/>) into
    /// <c>packed[d·ld + r]</c>, so a K or V tile can serve as the contiguous-row operand B.</summary>
    public static void PackTransposed(float* source, int stride, int rows, int width, float* packed, int ld)
    {
        for (var r = 0; r < rows; r++)
        {
            var row = source + (long)r * stride;
            for (var d = 0; d < width; d++)
                packed[(long)d * ld + r] = row[d];
        }
    }

    /// <summary>Largest of <c>x[0..n)</c>; <paramref name="n"/> ≥ 1.</summary>
    public static float Max(float* x, int n)
    {
        var w = TSimd.Count;
        var i = 0;
        var max = float.NegativeInfinity;
        if (n >= w)
        {
            var m = TSimd.Load(x);
            for (i = w; i + w <= n; i += w)
                m = TSimd.Max(m, TSimd.Load(x + i));
            max = TSimd.MaxAcross(m);
        }

        for (; i < n; i++)
            max = MathF.Max(max, x[i]);
        return max;
    }

    /// <summary>Replaces <c>x[i]</c> by <c>exp(scale·x[i] − shift)</c> for i &lt; n and returns their sum.</summary>
    public static float ExpInPlace(float* x, int n, float scale, float shift)
    {
        var w = TSimd.Count;
        var vScale = TSimd.Broadcast(scale);
        var vShift = TSimd.Broadcast(-shift);
        var sum = TSimd.Zero;
        var i = 0;
        for (; i + w <= n; i += w)
        {
            var e = TSimd.Exp(TSimd.MultiplyAdd(TSimd.Load(x + i), vScale, vShift));
            TSimd.Store(e, x + i);
            sum = TSimd.Add(sum, e);
        }

        var total = TSimd.Sum(sum);
        for (; i < n; i++)
        {
            x[i] = FastExp.Exp(MathF.FusedMultiplyAdd(x[i], scale, -shift));
            total += x[i];
        }

        return total;
    }

    /// <summary><c>x[i] = scale·p[i]·(x[i] − shift)</c>: turns dP into dS given P and the row's D.</summary>
    public static void SoftmaxGradient(float* x, float* p, int n, float scale, float shift)
    {
        var w = TSimd.Count;
        var vScale = TSimd.Broadcast(scale);
        var vShift = TSimd.Broadcast(shift);
        var i = 0;
        for (; i + w <= n; i += w)
            TSimd.Store(TSimd.Multiply(TSimd.Multiply(TSimd.Load(p + i), vScale), TSimd.Subtract(TSimd.Load(x + i), vShift)), x + i);
        for (; i < n; i++)
            x[i] = p[i] * scale * (x[i] - shift);
    }

    /// <summary><c>x[i] ·= factor</c> for i &lt; n.</summary>
    public static void Scale(float* x, int n, float factor)
    {
        var w = TSimd.Count;
        var f = TSimd.Broadcast(factor);
        var i = 0;
        for (; i + w <= n; i += w)
            TSimd.Store(TSimd.Multiply(TSimd.Load(x + i), f), x + i);
        for (; i < n; i++)
            x[i] *= factor;
    }

    /// <summary><c>y[i] += x[i]</c> for i &lt; n.</summary>
    public static void AddTo(float* y, float* x, int n)
    {
        var w = TSimd.Count;
        var i = 0;
        for (; i + w <= n; i += w)
            TSimd.Store(TSimd.Add(TSimd.Load(y + i), TSimd.Load(x + i)), y + i);
        for (; i < n; i++)
            y[i] += x[i];
    }

    /// <summary><c>y[i] = a·x[i] + y[i]</c> (one fused multiply-add) for i &lt; n.</summary>
    public static void MultiplyAddScalar(float* y, float a, float* x, int n)
    {
        var w = TSimd.Count;
        var va = TSimd.Broadcast(a);
        var i = 0;
        for (; i + w <= n; i += w)
            TSimd.Store(TSimd.MultiplyAdd(va, TSimd.Load(x + i), TSimd.Load(y + i)), y + i);
        for (; i < n; i++)
            y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
    }

    /// <summary>Σ a[i]·b[i] for i &lt; n.</summary>
    public static float Dot(float* a, float* b, int n)
    {
        var w = TSimd.Count;
        var acc = TSimd.Zero;
        var i = 0;
        for (; i + w <= n; i += w)
            acc = TSimd.MultiplyAdd(TSimd.Load(a + i), TSimd.Load(b + i), acc);
        var sum = TSimd.Sum(acc);
        for (; i < n; i++)
            sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        return sum;
    }
}
