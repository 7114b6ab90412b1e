using System.Globalization;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Cpu.Reference;
using Xunit.Abstractions;

namespace FhirRisk.Model.Tests.Cpu;

public sealed class SgemmTests(ITestOutputHelper output)
{
    private static readonly int[] s_sizes = [1, 3, 17, 31, 63, 65, 127, 128, 129, 257];

    private static readonly (float Alpha, float Beta)[] s_scales = [(1f, 0f), (0.5f, -1.5f), (-2f, 1f), (1f, 1f)];

    /// <summary>
    /// Every size of the sweep as M, as N and as K against odd partners, then shapes that cross the cache blocks
    /// (MC = 144, two K blocks at K > 256) and the parallel threshold along M (M ≥ N) and along N.
    /// </summary>
    public static TheoryData<int, int, int> Shapes()
    {
        var shapes = new TheoryData<int, int, int>();
        foreach (var size in s_sizes)
        {
            shapes.Add(size, 65, 31);
            shapes.Add(31, size, 63);
            shapes.Add(63, 17, size);
        }

        shapes.Add(160, 96, 300);
        shapes.Add(129, 128, 127);
        shapes.Add(300, 7, 600);
        shapes.Add(5, 700, 400);
        shapes.Add(65, 129, 513);
        return shapes;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Multiply_AllTransposesKernelsAndThreads_MatchDoubleReference(int m, int n, int k)
    {
        var worst = 0.0;
        var caseIndex = 0;
        foreach (var transposeA in new[] { Transpose.No, Transpose.Yes })
        {
            foreach (var transposeB in new[] { Transpose.No, Transpose.Yes })
            {
                var (alpha, beta) = s_scales[(m + n + k + caseIndex) % s_scales.Length];
                // Half the cases pad every leading dimension past its row, the others pack rows tightly.
                var padding = caseIndex++ % 2 == 0 ? 3 : 0;
                var gemm = GemmCase.Create(transposeA, transposeB, m, n, k, alpha, beta, padding, seed: m * 7919 + n * 104729 + k);
                var expected = gemm.Reference();
                foreach (var kernel in new[] { GemmKernel.Vector512, GemmKernel.Vector256 })
                {
                    var single = gemm.RunFast(kernel, threads: 1);
                    var parallel = gemm.RunFast(kernel, threads: 2);
                    var parallelAgain = gemm.RunFast(kernel, threads: 2);
                    worst = Math.Max(worst, gemm.AssertWithinBound(single, expected, $"{transposeA}{transposeB} {kernel}"));
                    gemm.AssertPaddingUntouched(single);
                    Assert.Equal(single, parallel);
                    Assert.Equal(parallel, parallelAgain);
                }
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m}×{n}×{k}: max |error| / bound = {worst:0.000}"));
    }

    [Fact]
    public void Multiply_BetaZero_IgnoresNaNInC()
    {
        var gemm = GemmCase.Create(Transpose.No, Transpose.No, 9, 40, 5, alpha: 1f, beta: 0f, padding: 0, seed: 1, initialC: float.NaN);

        var actual = gemm.RunFast(GemmBlocking.Best, threads: 1);

        Assert.All(actual, value => Assert.False(float.IsNaN(value)));
        gemm.AssertWithinBound(actual, gemm.Reference(), "beta = 0 over NaN");
    }

    [Theory]
    [InlineData(0, 2f)]
    [InlineData(3, 0f)]
    public void Multiply_NoProduct_ScalesCByBeta(int k, float alpha)
    {
        var c = new float[] { 1f, -2f, 3f, 99f, 4f, 5f, -6f, 99f };

        Sgemm.Multiply(Transpose.No, Transpose.No, 2, 3, k, alpha, new float[2 * k], Math.Max(k, 1), new float[k * 3], 3, -0.5f, c, 4, ComputeOptions.SingleThreaded);

        Assert.Equal([-0.5f, 1f, -1.5f, 99f, -2f, -2.5f, 3f, 99f], c);
    }

    [Fact]
    public void Multiply_EmptyOutput_LeavesEverythingAlone()
    {
        var c = new float[] { 7f };

        Sgemm.Multiply(Transpose.No, Transpose.No, 0, 1, 4, 1f, [], 4, new float[4], 1, 0f, c, 1, ComputeOptions.Default);

        Assert.Equal([7f], c);
    }

    [Fact]
    public void Multiply_ShortBufferOrLeadingDimension_Throws()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];

        Assert.Throws<ArgumentException>("a", () => Sgemm.Multiply(Transpose.No, Transpose.No, 2, 2, 4, 1f, a, 4, b, 2, 0f, c, 2, ComputeOptions.SingleThreaded));
        Assert.Throws<ArgumentOutOfRangeException>("ldb", () => Sgemm.Multiply(Transpose.No, Transpose.Yes, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2, ComputeOptions.SingleThreaded));
        Assert.Throws<ArgumentException>("c", () => Sgemm.Multiply(Transpose.No, Transpose.No, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 3, ComputeOptions.SingleThreaded));
    }

    [Fact]
    public void Multiply_AfterWarmUp_AllocatesNothingOnOneThread()
    {
        var gemm = GemmCase.Create(Transpose.No, Transpose.Yes, 200, 96, 300, alpha: 1f, beta: 0f, padding: 0, seed: 3);
        var c = new float[gemm.C.Length];
        gemm.RunFast(GemmBlocking.Best, threads: 1);

        // Other test classes may hold a pooled scratch at the same moment and make this call grow a new one; the
        // minimum over a few calls is the steady state.
        var fewest = long.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Sgemm.Multiply(Transpose.No, Transpose.Yes, 200, 96, 300, 1f, gemm.A, gemm.Lda, gemm.B, gemm.Ldb, 0f, c, gemm.Ldc, ComputeOptions.SingleThreaded);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
    }

    /// <summary>One GEMM problem in float, its double oracle, and the error bound its float result must meet.</summary>
    private sealed record GemmCase(
        Transpose TransposeA, Transpose TransposeB, int M, int N, int K, float Alpha, float Beta,
        float[] A, int Lda, float[] B, int Ldb, float[] C, int Ldc)
    {
        private const float PaddingSentinel = 12345f;

        public static GemmCase Create(
            Transpose transposeA, Transpose transposeB, int m, int n, int k, float alpha, float beta, int padding, int seed,
            float initialC = 0f)
        {
            var random = new Random(seed);
            var (aRows, aColumns) = transposeA == Transpose.No ? (m, k) : (k, m);
            var (bRows, bColumns) = transposeB == Transpose.No ? (k, n) : (n, k);
            var a = Uniform(random, aRows * (aColumns + padding));
            var b = Uniform(random, bRows * (bColumns + padding));
            var c = Uniform(random, m * (n + padding));
            for (var i = 0; i < c.Length; i++)
                c[i] = i % (n + padding) >= n ? PaddingSentinel : initialC == 0f ? c[i] : initialC;
            return new GemmCase(transposeA, transposeB, m, n, k, alpha, beta, a, aColumns + padding, b, bColumns + padding, c, n + padding);
        }

        public float[] RunFast(GemmKernel kernel, int threads)
        {
            var c = (float[])C.Clone();
            Sgemm.Multiply(TransposeA, TransposeB, M, N, K, Alpha, A, Lda, B, Ldb, Beta, c, Ldc, new ComputeOptions(threads), kernel);
            return c;
        }

        public double[] Reference()
        {
            var c = ToDouble(C);
            ReferenceGemm.Multiply(TransposeA, TransposeB, M, N, K, Alpha, ToDouble(A), Lda, ToDouble(B), Ldb, Beta, c, Ldc);
            return c;
        }

        /// <summary>
        /// The float32 result makes at most K + 2·(K blocks) + 2 roundings on the way to an element: one per FMA of
        /// the K-term sum, the alpha scaling and the merge into C per K block (blocks are ≥ 64 deep), and the final
        /// beta FMA. The classical bound (Higham, Accuracy and Stability, §3.1) gives |error| ≤ γ_r·(|alpha|·Σₚ|aᵢₚ·bₚⱼ|
        /// + |beta·cᵢⱼ|) for r roundings, γ_r = r·u/(1 − r·u), u = 2⁻²⁴; we allow r·2u, which also covers the double
        /// oracle's own error. Typical errors grow like √K·u and sit far below; a dropped or repeated term (|a·b| ≈ 1/4
        /// here) would exceed it by orders of magnitude. Returns the worst |error| / bound.
        /// </summary>
        public double AssertWithinBound(float[] actual, double[] expected, string what)
        {
            var roundings = K + 2 * (K / 64 + 1) + 2;
            var worst = 0.0;
            for (var i = 0; i < M; i++)
            {
                for (var j = 0; j < N; j++)
                {
                    var magnitude = Magnitude(i, j);
                    var bound = roundings * 2.0 * Math.Pow(2, -24) * magnitude + double.Epsilon;
                    var error = Math.Abs(actual[i * Ldc + j] - expected[i * Ldc + j]);
                    Assert.True(error <= bound, string.Create(CultureInfo.InvariantCulture,
                        $"{what} {M}×{N}×{K} C[{i},{j}] = {actual[i * Ldc + j]}, expected {expected[i * Ldc + j]} (|error| {error:E2} > bound {bound:E2})"));
                    worst = Math.Max(worst, error / bound);
                }
            }

            return worst;
        }

        public void AssertPaddingUntouched(float[] actual)
        {
            for (var i = 0; i < actual.Length; i++)
            {
                if (i % Ldc >= N)
                    Assert.Equal(PaddingSentinel, actual[i]);
            }
        }

        private double Magnitude(int i, int j)
        {
            var sum = 0.0;
            for (var p = 0; p < K; p++)
            {
                var aip = TransposeA == Transpose.No ? A[i * Lda + p] : A[p * Lda + i];
                var bpj = TransposeB == Transpose.No ? B[p * Ldb + j] : B[j * Ldb + p];
                sum += Math.Abs((double)aip * bpj);
            }

            return Math.Abs(Alpha) * sum + (Beta == 0f ? 0.0 : Math.Abs((double)Beta * C[i * Ldc + j]));
        }

        private static float[] Uniform(Random random, int length)
        {
            var values = new float[length];
            for (var i = 0; i < length; i++)
                values[i] = (float)(random.NextDouble() * 2 - 1);
            return values;
        }

        private static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);
    }
}
