using System.Numerics;

namespace FhirRisk.Model.Cpu.Reference;

/// <summary>
/// The slow, obviously correct twins of <see cref="Sgemm"/> and <see cref="MatMul"/>: the textbook triple loop,
/// generic so tests can run it in double as the oracle and through it check gradients by finite differences.
/// </summary>
public static class ReferenceGemm
{
    /// <summary>C[M,N] = alpha·op(A)·op(B) + beta·C, the arguments as in <see cref="Sgemm"/>; sums in <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The element type, also the accumulator: double for an oracle.</typeparam>
    /// <param name="transposeA">Whether A is stored transposed.</param>
    /// <param name="transposeB">Whether B is stored transposed.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The summed dimension.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Distance between stored rows of A.</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Distance between stored rows of B.</param>
    /// <param name="beta">Scale of the old C; 0 ignores it (even NaN), as BLAS does.</param>
    /// <param name="c">C, row-major with leading dimension <paramref name="ldc"/>.</param>
    /// <param name="ldc">Distance between rows of C.</param>
    public static void Multiply<T>(
        Transpose transposeA, Transpose transposeB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : IFloatingPointIeee754<T>
    {
        GemmArguments.Validate(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = T.Zero;
                for (var p = 0; p < k; p++)
                {
                    var aip = transposeA == Transpose.No ? a[i * lda + p] : a[p * lda + i];
                    var bpj = transposeB == Transpose.No ? b[p * ldb + j] : b[j * ldb + p];
                    sum += aip * bpj;
                }

                var old = c[i * ldc + j];
                c[i * ldc + j] = alpha * sum + (T.IsZero(beta) ? T.Zero : beta * old);
            }
        }
    }

    /// <summary>output[N,OC] = inp[N,C]·weight[OC,C]ᵀ, as <see cref="MatMul.Forward"/>.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="output">(N, OC), overwritten.</param>
    /// <param name="inp">(N, C).</param>
    /// <param name="weight">(OC, C).</param>
    /// <param name="n">Rows (B·T).</param>
    /// <param name="c">Input channels.</param>
    /// <param name="oc">Output channels.</param>
    public static void MatMulForward<T>(Span<T> output, ReadOnlySpan<T> inp, ReadOnlySpan<T> weight, int n, int c, int oc)
        where T : IFloatingPointIeee754<T> =>
        Multiply(Transpose.No, Transpose.Yes, n, oc, c, T.One, inp, c, weight, c, T.Zero, output, oc);

    /// <summary>dinp += dout·weight and dweight += doutᵀ·inp, as <see cref="MatMul.Backward"/>.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="dinp">(N, C), accumulated into.</param>
    /// <param name="dweight">(OC, C), accumulated into.</param>
    /// <param name="dout">(N, OC).</param>
    /// <param name="inp">(N, C).</param>
    /// <param name="weight">(OC, C).</param>
    /// <param name="n">Rows (B·T).</param>
    /// <param name="c">Input channels.</param>
    /// <param name="oc">Output channels.</param>
    public static void MatMulBackward<T>(
        Span<T> dinp, Span<T> dweight, ReadOnlySpan<T> dout, ReadOnlySpan<T> inp, ReadOnlySpan<T> weight, int n, int c, int oc)
        where T : IFloatingPointIeee754<T>
    {
        Multiply(Transpose.No, Transpose.No, n, c, oc, T.One, dout, oc, weight, c, T.One, dinp, c);
        Multiply(Transpose.Yes, Transpose.No, oc, c, n, T.One, dout, oc, inp, c, T.One, dweight, c);
    }
}
