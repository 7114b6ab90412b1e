using FhirRisk.Model;
using FhirRisk.Model.Cpu;

namespace FhirRisk.Bench.Engine;

/// <summary>Our SGEMM and OpenBLAS's on the same operands and thread count: speeds and how far their outputs differ.</summary>
internal sealed record GemmComparison(GemmShape Shape, int Threads, double OurGflops, double OpenBlasGflops, double RelativeDifference)
{
    /// <summary>
    /// A sanity bound on max|ours − OpenBLAS| / max|C| (the tests hold the real error bounds): the two sum K float
    /// products in different orders, which moves results by about √K·2⁻²⁴ relative (≈ 4e-6 at K = 4096), while a
    /// wrong element would be off by about max|C|.
    /// </summary>
    public const double DifferenceLimit = 1e-4;

    /// <summary>Each side rests this long before it is timed, so the other's spinning workers have gone to sleep.</summary>
    private static readonly TimeSpan s_settle = TimeSpan.FromMilliseconds(300);

    public double Ratio => OurGflops / OpenBlasGflops;

    public static GemmComparison Measure(GemmShape shape, OpenBlas openBlas, int defaultThreads, int samples, TimeSpan sampleTime)
    {
        var threads = shape.Threads ?? defaultThreads;
        var random = new Random(shape.M * 31 + shape.N * 17 + shape.K);
        var a = Uniform(random, shape.M * shape.K);
        var b = Uniform(random, shape.K * shape.N);
        var ours = new float[shape.M * shape.N];
        var theirs = new float[shape.M * shape.N];
        var options = new ComputeOptions(threads);

        Thread.Sleep(s_settle);
        var ourSeconds = GemmTimer.SecondsPerCall(
            () => Sgemm.Multiply(
                shape.TransposeA ? Transpose.Yes : Transpose.No, shape.TransposeB ? Transpose.Yes : Transpose.No,
                shape.M, shape.N, shape.K, 1f, a, shape.Lda, b, shape.Ldb, 0f, ours, shape.N, options),
            samples, sampleTime);

        openBlas.SetThreads(threads);
        Thread.Sleep(s_settle);
        var theirSeconds = GemmTimer.SecondsPerCall(
            () => openBlas.Sgemm(shape.TransposeA, shape.TransposeB, shape.M, shape.N, shape.K, 1f, a, shape.Lda, b, shape.Ldb, 0f, theirs, shape.N),
            samples, sampleTime);

        return new GemmComparison(shape, threads, shape.Flop / ourSeconds / 1e9, shape.Flop / theirSeconds / 1e9, RelativeMaxDifference(ours, theirs));
    }

    private static double RelativeMaxDifference(float[] ours, float[] theirs)
    {
        var difference = 0.0;
        var magnitude = 0.0;
        for (var i = 0; i < ours.Length; i++)
        {
            difference = Math.Max(difference, Math.Abs(ours[i] - theirs[i]));
            magnitude = Math.Max(magnitude, Math.Abs(theirs[i]));
        }

        return magnitude == 0 ? difference : difference / magnitude;
    }

    private static float[] Uniform(Random random, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}
