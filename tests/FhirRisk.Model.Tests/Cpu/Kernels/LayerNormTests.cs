using FhirRisk.Model.Cpu;
using FhirRisk.Model.Cpu.Reference;
using Xunit.Abstractions;
using static FhirRisk.Model.Tests.Cpu.Kernels.LayerTestTensors;

namespace FhirRisk.Model.Tests.Cpu.Kernels;

public sealed class LayerNormTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var (n, c) in new[] { (1, 1), (3, 3), (17, 17), (63, 65), (65, 63), (127, 127), (1, 768), (65, 768) })
        {
            data.Add(n, c, 1);
            data.Add(n, c, 2);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_OverShapeSweep_MatchesReference(int n, int c, int threads)
    {
        // Arrange
        var (inp, weight, bias) = (Random(1, n * c, 3f), Random(2, c), Random(3, c));
        var (outp, mean, rstd) = (new float[n * c], new float[n], new float[n]);
        var (expected, expectedMean, expectedRstd) = (new double[n * c], new double[n], new double[n]);

        // Act
        LayerNorm.Forward(outp, mean, rstd, inp, weight, bias, n, c, new ComputeOptions(threads));
        ReferenceLayers.LayerNormForward<double>(expected, expectedMean, expectedRstd, ToDouble(inp), ToDouble(weight), ToDouble(bias), n, c);

        // Assert
        AssertClose(output, "out", expected, outp, 1e-5, 1e-5);
        AssertClose(output, "mean", expectedMean, mean, 1e-6, 1e-5);
        AssertClose(output, "rstd", expectedRstd, rstd, 1e-6, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_OverShapeSweep_AccumulatesReferenceGradients(int n, int c, int threads)
    {
        // Arrange: gradients start non-zero to check that the kernel adds (+=) rather than overwrites.
        var (inp, weight, bias, dout) = (Random(1, n * c, 3f), Random(2, c), Random(3, c), Random(4, n * c));
        var (mean, rstd) = (new float[n], new float[n]);
        LayerNorm.Forward(new float[n * c], mean, rstd, inp, weight, bias, n, c, ComputeOptions.SingleThreaded);
        var (dinp, dweight, dbias) = (Random(5, n * c), Random(6, c), Random(7, c));
        var (expectedDinp, expectedDweight, expectedDbias) = (ToDouble(dinp), ToDouble(dweight), ToDouble(dbias));

        // Act
        LayerNorm.Backward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, n, c, new ComputeOptions(threads));
        ReferenceLayers.LayerNormBackward<double>(expectedDinp, expectedDweight, expectedDbias, ToDouble(dout), ToDouble(inp),
            ToDouble(weight), ToDouble(mean), ToDouble(rstd), n, c);

        // Assert: dweight and dbias sum n rows of O(1) terms in float.
        AssertClose(output, "dinp", expectedDinp, dinp, 2e-5, 1e-5);
        AssertClose(output, "dweight", expectedDweight, dweight, 1e-6 * n, 1e-5);
        AssertClose(output, "dbias", expectedDbias, dbias, 1e-6 * n, 1e-5);
    }

    [Fact]
    public void Backward_ReferenceInDouble_MatchesFiniteDifferences()
    {
        // Arrange: loss = Σ g·out, so d loss / d out = g.
        const int n = 3, c = 5;
        var (inp, weight, bias, g) = (ToDouble(Random(1, n * c, 2f)), ToDouble(Random(2, c)), ToDouble(Random(3, c)), ToDouble(Random(4, n * c)));
        var (outp, mean, rstd) = (new double[n * c], new double[n], new double[n]);
        double Loss()
        {
            ReferenceLayers.LayerNormForward<double>(outp, mean, rstd, inp, weight, bias, n, c);
            return Dot(g, outp);
        }

        // Act
        Loss();
        var (dinp, dweight, dbias) = (new double[n * c], new double[c], new double[c]);
        ReferenceLayers.LayerNormBackward<double>(dinp, dweight, dbias, g, inp, weight, mean, rstd, n, c);

        // Assert
        LayerGradientCheck.AssertMatches(output, "dinp", inp, Loss, dinp);
        LayerGradientCheck.AssertMatches(output, "dweight", weight, Loss, dweight);
        LayerGradientCheck.AssertMatches(output, "dbias", bias, Loss, dbias);
    }

    [Fact]
    public void ForwardAndBackward_TwoThreads_AreBitIdenticalToOneThread()
    {
        // Arrange: large enough that both passes split into two chunks.
        const int n = 64, c = 768;
        var (inp, weight, bias, dout) = (Random(1, n * c), Random(2, c), Random(3, c), Random(4, n * c));

        // Act
        var single = Run(ComputeOptions.SingleThreaded);
        var first = Run(new ComputeOptions(2));
        var second = Run(new ComputeOptions(2));

        // Assert: rows and channels each have one owner that reduces in a fixed order.
        Assert.Equal(first, second);
        Assert.Equal(single, first);

        float[][] Run(ComputeOptions options)
        {
            var (outp, mean, rstd) = (new float[n * c], new float[n], new float[n]);
            var (dinp, dweight, dbias) = (new float[n * c], new float[c], new float[c]);
            LayerNorm.Forward(outp, mean, rstd, inp, weight, bias, n, c, options);
            LayerNorm.Backward(dinp, dweight, dbias, dout, inp, weight, mean, rstd, n, c, options);
            return [outp, mean, rstd, dinp, dweight, dbias];
        }
    }

    [Fact]
    public void Forward_ConstantRow_OutputsBias()
    {
        // Arrange: zero variance, so rstd = 1/√eps and every normalised value is 0.
        float[] inp = [2.5f, 2.5f, 2.5f], weight = [1f, 2f, 3f], bias = [0.1f, 0.2f, 0.3f];
        var (outp, mean, rstd) = (new float[3], new float[1], new float[1]);

        // Act
        LayerNorm.Forward(outp, mean, rstd, inp, weight, bias, 1, 3);

        // Assert
        Assert.Equal(bias, outp);
        Assert.Equal(2.5f, mean[0]);
        Assert.Equal(1 / MathF.Sqrt(LayerNorm.Epsilon), rstd[0], 1e-2f);
    }

    [Fact]
    public void Forward_WrongWeightLength_Throws()
    {
        Assert.Throws<ArgumentException>(() =>
            LayerNorm.Forward(new float[6], new float[2], new float[2], new float[6], new float[2], new float[3], 2, 3));
    }
}
