using Xunit.Abstractions;

namespace FhirRisk.Model.Tests.Cpu.Kernels;

/// <summary>
/// Central finite differences in double: the oracle for every backward in <c>ReferenceLayers</c>.
/// With h = 1e-6 the truncation error is O(h²) ≈ 1e-12 and the rounding error ≈ 1e-16·|loss|/h ≈ 1e-9.
/// </summary>
internal static class LayerGradientCheck
{
    private const double Step = 1e-6;

    /// <summary>d loss / d x[i] for every i, perturbing <paramref name="x"/> in place and restoring it.</summary>
    public static double[] Numerical(double[] x, Func<double> loss)
    {
        var gradient = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            var saved = x[i];
            x[i] = saved + Step;
            var plus = loss();
            x[i] = saved - Step;
            var minus = loss();
            x[i] = saved;
            gradient[i] = (plus - minus) / (2 * Step);
        }

        return gradient;
    }

    public static void AssertMatches(ITestOutputHelper output, string name, double[] x, Func<double> loss, double[] analytic) =>
        LayerTestTensors.AssertClose(output, $"{name} (analytic vs finite differences)", Numerical(x, loss), analytic, 1e-7, 1e-6);
}
