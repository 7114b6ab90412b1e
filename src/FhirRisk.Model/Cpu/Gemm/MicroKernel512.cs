using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// <see cref="GemmKernel.Vector512"/>: an 8×32 tile of C in 16 zmm accumulators. Per step of k it loads two vectors
/// of B and broadcasts eight scalars of A into 16 independent FMAs, enough to keep both FMA pipes of a core busy
/// through their 4-cycle latency (32 registers: 16 accumulators, two vectors of B, broadcasts of A).
/// </summary>
internal static unsafe class MicroKernel512
{
    public const int MR = 8;
    public const int NR = 32;

    /// <summary>
    /// C[0..MR, 0..NR] = alpha·(Σₚ a[p]ᵀ b[p]) + beta·C, the sum taken in order p = 0..kc−1 by one FMA per term; C is
    /// not read when beta is 0. <paramref name="a"/> is a packed MR-row panel (kc×MR), <paramref name="b"/> a packed
    /// NR-column panel (kc×NR).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        var c00 = Vector512<float>.Zero; var c01 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero; var c11 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero; var c21 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero; var c31 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero; var c41 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero; var c51 = Vector512<float>.Zero;
        var c60 = Vector512<float>.Zero; var c61 = Vector512<float>.Zero;
        var c70 = Vector512<float>.Zero; var c71 = Vector512<float>.Zero;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            a += MR;
            b += NR;
        }

        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        var accumulate = beta != 0f;
        Store(c + 0 * ldc + 0, c00, va, vb, accumulate);
        Store(c + 0 * ldc + 16, c01, va, vb, accumulate);
        Store(c + 1 * ldc + 0, c10, va, vb, accumulate);
        Store(c + 1 * ldc + 16, c11, va, vb, accumulate);
        Store(c + 2 * ldc + 0, c20, va, vb, accumulate);
        Store(c + 2 * ldc + 16, c21, va, vb, accumulate);
        Store(c + 3 * ldc + 0, c30, va, vb, accumulate);
        Store(c + 3 * ldc + 16, c31, va, vb, accumulate);
        Store(c + 4 * ldc + 0, c40, va, vb, accumulate);
        Store(c + 4 * ldc + 16, c41, va, vb, accumulate);
        Store(c + 5 * ldc + 0, c50, va, vb, accumulate);
        Store(c + 5 * ldc + 16, c51, va, vb, accumulate);
        Store(c + 6 * ldc + 0, c60, va, vb, accumulate);
        Store(c + 6 * ldc + 16, c61, va, vb, accumulate);
        Store(c + 7 * ldc + 0, c70, va, vb, accumulate);
        Store(c + 7 * ldc + 16, c71, va, vb, accumulate);
    }

    /// <summary>The same rounding as the scalar edge merge: beta·C + (alpha·acc) in one FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> acc, Vector512<float> alpha, Vector512<float> beta, bool accumulate)
    {
        var scaled = alpha * acc;
        Vector512.Store(accumulate ? Vector512.FusedMultiplyAdd(beta, Vector512.Load(c), scaled) : scaled, c);
    }
}
