using System.Globalization;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Cpu.Reference;
using Xunit.Abstractions;

namespace FhirRisk.Model.Tests.Cpu;

public sealed class MatMulTests(ITestOutputHelper output)
{
    /// <summary>
    /// Float32 results against the double reference, relative to the magnitude of the terms: K ≤ 300 FMAs per
    /// element plus a few scalings (see <c>SgemmTests</c> for the bound) stay below 1e-4 relative to Σ|terms|,
    /// and the inputs here are uniform in [−1, 1] so Σ|terms| ≤ K.
    /// </summary>
    private const double RelativeTolerance = 1e-4;

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 17, 31)]
    [InlineData(63, 65, 127)]
    [InlineData(129, 31, 3)]
    [InlineData(257, 64, 192)]
    public void ForwardAndBackward_MatchDoubleReference(int n, int c, int oc)
    {
        var random = new Random(n * 31 + c * 7 + oc);
        var inp = Uniform(random, n * c);
        var weight = Uniform(random, oc * c);
        var dout = Uniform(random, n * oc);
        var dinp = Uniform(random, n * c);
        var dweight = Uniform(random, oc * c);

        var outputFast = new float[n * oc];
        MatMul.Forward(outputFast, inp, weight, n, c, oc, ComputeOptions.Default);
        var dinpFast = (float[])dinp.Clone();
        var dweightFast = (float[])dweight.Clone();
        MatMul.Backward(dinpFast, dweightFast, dout, inp, weight, n, c, oc, ComputeOptions.Default);

        var outputReference = new double[n * oc];
        ReferenceGemm.MatMulForward<double>(outputReference, ToDouble(inp), ToDouble(weight), n, c, oc);
        var dinpReference = ToDouble(dinp);
        var dweightReference = ToDouble(dweight);
        ReferenceGemm.MatMulBackward<double>(dinpReference, dweightReference, ToDouble(dout), ToDouble(inp), ToDouble(weight), n, c, oc);

        var worst = Math.Max(
            AssertClose(outputFast, outputReference, scale: c, "out"),
            Math.Max(AssertClose(dinpFast, dinpReference, scale: oc + 1, "dinp"), AssertClose(dweightFast, dweightReference, scale: n + 1, "dweight")));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"N={n} C={c} OC={oc}: max |error| / (K·tolerance) = {worst:0.000}"));
    }

    [Fact]
    public void Backward_Accumulates()
    {
        var inp = new float[] { 1f, 2f };
        var weight = new float[] { 3f, 4f };
        var dout = new float[] { 0.5f };
        var dinp = new float[] { 10f, 20f };
        var dweight = new float[] { -1f, -2f };

        MatMul.Backward(dinp, dweight, dout, inp, weight, n: 1, c: 2, oc: 1, ComputeOptions.SingleThreaded);

        Assert.Equal([11.5f, 22f], dinp);
        Assert.Equal([-0.5f, -1f], dweight);
    }

    /// <summary>
    /// Gradients of L = Σ out ⊙ g through the double reference against central differences: L is bilinear in inp and
    /// weight, so the difference quotient is exact up to rounding (≈1e-16 / h).
    /// </summary>
    [Fact]
    public void ReferenceBackward_MatchesFiniteDifferences()
    {
        const int N = 3, C = 4, OC = 5;
        const double H = 1e-6;
        var random = new Random(42);
        var inp = ToDouble(Uniform(random, N * C));
        var weight = ToDouble(Uniform(random, OC * C));
        var g = ToDouble(Uniform(random, N * OC));
        var dinp = new double[N * C];
        var dweight = new double[OC * C];

        ReferenceGemm.MatMulBackward<double>(dinp, dweight, g, inp, weight, N, C, OC);

        double Loss()
        {
            var output = new double[N * OC];
            ReferenceGemm.MatMulForward<double>(output, inp, weight, N, C, OC);
            return output.Select((value, i) => value * g[i]).Sum();
        }

        foreach (var (parameter, gradient, name) in new[] { (inp, dinp, "dinp"), (weight, dweight, "dweight") })
        {
            for (var i = 0; i < parameter.Length; i++)
            {
                var saved = parameter[i];
                parameter[i] = saved + H;
                var plus = Loss();
                parameter[i] = saved - H;
                var minus = Loss();
                parameter[i] = saved;
                var numeric = (plus - minus) / (2 * H);
                Assert.True(Math.Abs(numeric - gradient[i]) <= 1e-8, $"{name}[{i}]: analytic {gradient[i]}, numeric {numeric}");
            }
        }
    }

    private static double AssertClose(float[] actual, double[] expected, int scale, string name)
    {
        var worst = 0.0;
        for (var i = 0; i < actual.Length; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= RelativeTolerance * scale, $"{name}[{i}] = {actual[i]}, expected {expected[i]}");
            worst = Math.Max(worst, error / (RelativeTolerance * scale));
        }

        return worst;
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
