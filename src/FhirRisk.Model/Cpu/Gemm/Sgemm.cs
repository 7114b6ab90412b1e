namespace FhirRisk.Model.Cpu;

/// <summary>
/// Single-precision GEMM over row-major buffers: C[M,N] = alpha·op(A)·op(B) + beta·C, with op = identity or
/// transpose for each operand and leading dimensions (the distance between rows as stored) at least as large as a
/// stored row. Packed and cache-blocked around a register-blocked <c>Vector512</c> FMA micro-kernel, with a
/// <c>Vector256</c> one where AVX-512 is missing (DESIGN §5). On the 2-core machine 1024³ runs at about 330 GFLOP/s,
/// on a par with OpenBLAS in the same run (<c>bench gemm</c>).
/// </summary>
/// <remarks>
/// Results are deterministic and do not even depend on <see cref="ComputeOptions.Threads"/>: each element of C is
/// computed by one thread, summing K in a fixed order (FMA by FMA within a K block, blocks in order). As in BLAS,
/// C is not read when beta is 0, so it may hold garbage (NaN) then. Buffers must not overlap C. Pack buffers come
/// from a pool: after warm-up a one-thread call allocates nothing, a multi-threaded one only <c>Parallel.For</c>'s
/// bookkeeping.
/// </remarks>
public static unsafe class Sgemm
{
    /// <summary>Below this many multiply-adds a call runs on one thread: waking workers would cost more than it saves.</summary>
    internal const long ParallelThresholdMacs = 1L << 20;

    /// <summary>C[M,N] = alpha·op(A)[M,K]·op(B)[K,N] + beta·C, with the best micro-kernel for this CPU.</summary>
    /// <param name="transposeA">Whether A is stored as op(A) (<see cref="Transpose.No"/>, M rows of K) or as op(A)ᵀ (K rows of M).</param>
    /// <param name="transposeB">Whether B is stored as op(B) (K rows of N) or as op(B)ᵀ (N rows of K).</param>
    /// <param name="m">Rows of C and of op(A).</param>
    /// <param name="n">Columns of C and of op(B).</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Distance between stored rows of A (≥ K, or ≥ M when transposed).</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Distance between stored rows of B (≥ N, or ≥ K when transposed).</param>
    /// <param name="beta">Scale of the old C; 0 overwrites C without reading it.</param>
    /// <param name="c">C, row-major with leading dimension <paramref name="ldc"/>; columns past N are left untouched.</param>
    /// <param name="ldc">Distance between rows of C (≥ N).</param>
    /// <param name="options">Threads to split C over.</param>
    public static void Multiply(
        Transpose transposeA, Transpose transposeB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, ComputeOptions options) =>
        Multiply(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, options, GemmBlocking.Best);

    /// <summary>As the public overload, with the micro-kernel chosen by the caller (tests run every kernel).</summary>
    internal static void Multiply(
        Transpose transposeA, Transpose transposeB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, ComputeOptions options, GemmKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(options);
        GemmArguments.Validate(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0)
            return;

        fixed (float* pa = a, pb = b, pc = c)
        {
            if (k == 0 || alpha == 0f)
            {
                ScaleC(pc, m, n, ldc, beta);
                return;
            }

            var problem = new GemmProblem(
                m, n, k, alpha, StridedMatrix.Of(pa, lda, transposeA), StridedMatrix.Of(pb, ldb, transposeB), beta, pc, ldc);
            GemmThreads.Run(problem, kernel, options.Threads);
        }
    }

    /// <summary>C = beta·C when the product vanishes (K = 0 or alpha = 0); beta = 0 writes zeros without reading C.</summary>
    private static void ScaleC(float* c, int m, int n, nint ldc, float beta)
    {
        for (var i = 0; i < m; i++)
        {
            var row = new Span<float>(c + i * ldc, n);
            if (beta == 0f)
            {
                row.Clear();
                continue;
            }

            for (var j = 0; j < n; j++)
                row[j] *= beta;
        }
    }
}
