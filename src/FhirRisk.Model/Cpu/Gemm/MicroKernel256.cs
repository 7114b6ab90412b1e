using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// <see cref="GemmKernel.Vector256"/>: a 6×16 tile of C in 12 ymm accumulators, the classic AVX2 shape (16
/// registers: 12 accumulators, two vectors of B, one broadcast of A).
/// </summary>
internal static unsafe class MicroKernel256
{
    public const int MR = 6;
    public const int NR = 16;

    /// <summary>
    /// C[0..MR, 0..NR] = alpha·(Σₚ a[p]ᵀ b[p]) + beta·C, the sum taken in order p = 0..kc−1 by one FMA per term; C is
    /// not read when beta is 0. <paramref name="a"/> is a packed MR-row panel (kc×MR), <paramref name="b"/> a packed
    /// NR-column panel (kc×NR).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        var c00 = Vector256<float>.Zero; var c01 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero; var c11 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero; var c21 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero; var c31 = Vector256<float>.Zero;
        var c40 = Vector256<float>.Zero; var c41 = Vector256<float>.Zero;
        var c50 = Vector256<float>.Zero; var c51 = Vector256<float>.Zero;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a5, b1, c51);
            a += MR;
            b += NR;
        }

        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        var accumulate = beta != 0f;
        Store(c + 0 * ldc + 0, c00, va, vb, accumulate);
        Store(c + 0 * ldc + 8, c01, va, vb, accumulate);
        Store(c + 1 * ldc + 0, c10, va, vb, accumulate);
        Store(c + 1 * ldc + 8, c11, va, vb, accumulate);
        Store(c + 2 * ldc + 0, c20, va, vb, accumulate);
        Store(c + 2 * ldc + 8, c21, va, vb, accumulate);
        Store(c + 3 * ldc + 0, c30, va, vb, accumulate);
        Store(c + 3 * ldc + 8, c31, va, vb, accumulate);
        Store(c + 4 * ldc + 0, c40, va, vb, accumulate);
        Store(c + 4 * ldc + 8, c41, va, vb, accumulate);
        Store(c + 5 * ldc + 0, c50, va, vb, accumulate);
        Store(c + 5 * ldc + 8, c51, va, vb, accumulate);
    }

    /// <summary>The same rounding as the scalar edge merge: beta·C + (alpha·acc) in one FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> acc, Vector256<float> alpha, Vector256<float> beta, bool accumulate)
    {
        var scaled = alpha * acc;
        Vector256.Store(accumulate ? Vector256.FusedMultiplyAdd(beta, Vector256.Load(c), scaled) : scaled, c);
    }
}
