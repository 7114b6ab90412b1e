using FhirRisk.Model.Cpu;
using FhirRisk.Model.Cpu.Reference;
using Xunit.Abstractions;
using static FhirRisk.Model.Tests.Cpu.Kernels.LayerTestTensors;

namespace FhirRisk.Model.Tests.Cpu.Kernels;

public sealed class GeluTests(ITestOutputHelper output)
{
    public static TheoryData<int, int> Lengths()
    {
        var data = new TheoryData<int, int>();
        foreach (var n in new[] { 1, 3, 17, 63, 65, 127, 768, 65 * 768 })
        {
            data.Add(n, 1);
            data.Add(n, 2);
        }

        return data;
    }

    [Fact]
    public void Forward_DenseGrid_StaysWithinDocumentedErrorOfDoubleReference()
    {
        // Arrange: 2·10⁶ evenly spaced inputs over the range where gelu is neither 0 nor x in float.
        const int n = 2_000_000;
        var inp = new float[n];
        for (var i = 0; i < n; i++)
            inp[i] = -12f + 24f * i / (n - 1);
        var (fast, expected, dinp, expectedDinp) = (new float[n], new double[n], new float[n], new double[n]);
        var ones = Enumerable.Repeat(1f, n).ToArray();

        // Act
        Gelu.Forward(fast, inp);
        Gelu.Backward(dinp, inp, ones);
        var inpDouble = ToDouble(inp);
        ReferenceLayers.GeluForward<double>(expected, inpDouble);
        ReferenceLayers.GeluBackward<double>(expectedDinp, inpDouble, ToDouble(ones));

        // Assert: the bounds quoted in Gelu's remarks.
        var (maxAbs, maxRel, maxRelTiny, maxAbsTanhForm, maxRelTanhForm, maxAbsGrad, maxRelGrad) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        for (var i = 0; i < n; i++)
        {
            var x = inp[i];
            var tanhForm = 0.5f * x * (1f + MathF.Tanh(0.7978845608f * (x + 0.044715f * x * x * x)));
            maxAbs = Math.Max(maxAbs, Math.Abs(fast[i] - expected[i]));
            maxAbsTanhForm = Math.Max(maxAbsTanhForm, Math.Abs(tanhForm - expected[i]));
            maxAbsGrad = Math.Max(maxAbsGrad, Math.Abs(dinp[i] - expectedDinp[i]));
            if (Math.Abs(expectedDinp[i]) >= 1e-3)
                maxRelGrad = Math.Max(maxRelGrad, Math.Abs(dinp[i] - expectedDinp[i]) / Math.Abs(expectedDinp[i]));
            if (Math.Abs(expected[i]) >= 1e-7)
                maxRelTiny = Math.Max(maxRelTiny, Math.Abs(fast[i] - expected[i]) / Math.Abs(expected[i]));
            if (Math.Abs(expected[i]) >= 1e-3)
            {
                maxRel = Math.Max(maxRel, Math.Abs(fast[i] - expected[i]) / Math.Abs(expected[i]));
                maxRelTanhForm = Math.Max(maxRelTanhForm, Math.Abs(tanhForm - expected[i]) / Math.Abs(expected[i]));
            }
        }

        output.WriteLine($"forward: max abs {maxAbs:E2}, max rel {maxRel:E2} where |gelu| ≥ 1e-3, {maxRelTiny:E2} where |gelu| ≥ 1e-7");
        output.WriteLine($"backward: max abs {maxAbsGrad:E2}, max rel {maxRelGrad:E2} where |gelu'| ≥ 1e-3");
        output.WriteLine($"float tanh form: max abs {maxAbsTanhForm:E2}, max rel {maxRelTanhForm:E2}");
        Assert.True(maxRel <= 1e-6, $"forward relative error {maxRel:E2} where |gelu| ≥ 1e-3");
        Assert.True(maxRelTiny <= 2e-6, $"forward relative error {maxRelTiny:E2} where |gelu| ≥ 1e-7");
        Assert.True(maxAbs <= 6e-7, $"forward absolute error {maxAbs:E2}");
        Assert.True(maxAbsGrad <= 5e-7, $"backward absolute error {maxAbsGrad:E2}");
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ForwardAndBackward_OverLengthSweep_MatchReference(int n, int threads)
    {
        // Arrange: gradients start non-zero to check that the kernel adds (+=).
        var options = new ComputeOptions(threads);
        var (inp, dout, dinp) = (Random(1, n, 5f), Random(2, n), Random(3, n));
        var (outp, expected, expectedDinp) = (new float[n], new double[n], ToDouble(dinp));

        // Act
        Gelu.Forward(outp, inp, options);
        Gelu.Backward(dinp, inp, dout, options);
        ReferenceLayers.GeluForward<double>(expected, ToDouble(inp));
        ReferenceLayers.GeluBackward<double>(expectedDinp, ToDouble(inp), ToDouble(dout));

        // Assert
        AssertClose(output, "out", expected, outp, 1e-6, 1e-6);
        AssertClose(output, "dinp", expectedDinp, dinp, 1e-6, 1e-6);
    }

    [Fact]
    public void Backward_ReferenceInDouble_MatchesFiniteDifferences()
    {
        // Arrange: loss = Σ g·gelu(x).
        var (inp, g) = (ToDouble(Random(1, 31, 4f)), ToDouble(Random(2, 31)));
        var outp = new double[31];
        double Loss()
        {
            ReferenceLayers.GeluForward<double>(outp, inp);
            return Dot(g, outp);
        }

        // Act
        var dinp = new double[31];
        ReferenceLayers.GeluBackward<double>(dinp, inp, g);

        // Assert
        LayerGradientCheck.AssertMatches(output, "dinp", inp, Loss, dinp);
    }

    [Fact]
    public void Forward_InPlace_EqualsOutOfPlace()
    {
        // Arrange
        var inp = Random(1, 100, 4f);
        var expected = new float[100];
        Gelu.Forward(expected, inp);

        // Act
        Gelu.Forward(inp, inp);

        // Assert
        Assert.Equal(expected, inp);
    }

    [Fact]
    public void ForwardAndBackward_ExtremeInputs_SaturateToIdentityAndNearZero()
    {
        // Arrange: 18 values, so that both the vector body (16) and the scalar tail (2) see both extremes.
        var inp = new float[18];
        for (var i = 0; i < inp.Length; i++)
            inp[i] = i % 2 == 0 ? 1e4f : -1e4f;
        var (outp, dinp) = (new float[18], new float[18]);

        // Act
        Gelu.Forward(outp, inp);
        Gelu.Backward(dinp, inp, Enumerable.Repeat(1f, 18).ToArray());

        // Assert: the negative side is capped at e^80 (see Gelu), leaving values far below any float32 signal.
        for (var i = 0; i < inp.Length; i += 2)
        {
            Assert.Equal(1e4f, outp[i]);
            Assert.Equal(1f, dinp[i]);
            Assert.InRange(outp[i + 1], -1e-30f, 0f);
            Assert.InRange(dinp[i + 1], -1e-20f, 0f);
        }
    }
}
