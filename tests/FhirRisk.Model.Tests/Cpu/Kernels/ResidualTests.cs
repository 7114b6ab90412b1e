using FhirRisk.Model.Cpu;
using FhirRisk.Model.Cpu.Reference;
using Xunit.Abstractions;
using static FhirRisk.Model.Tests.Cpu.Kernels.LayerTestTensors;

namespace FhirRisk.Model.Tests.Cpu.Kernels;

public sealed class ResidualTests(ITestOutputHelper output)
{
    public static TheoryData<int, int> Lengths()
    {
        var data = new TheoryData<int, int>();
        foreach (var n in new[] { 0, 1, 3, 17, 63, 65, 127, 768, 127 * 768 })
        {
            data.Add(n, 1);
            data.Add(n, 2);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void ForwardAndBackward_OverLengthSweep_EqualReferenceExactly(int n, int threads)
    {
        // Arrange: one float add per element, so fast and reference must agree bit for bit.
        var options = new ComputeOptions(threads);
        var (a, b, dout) = (Random(1, n), Random(2, n), Random(3, n));
        var (da, db) = (Random(4, n), Random(5, n));
        var (expectedDa, expectedDb) = ((float[])da.Clone(), (float[])db.Clone());
        var (outp, expected) = (new float[n], new float[n]);

        // Act
        Residual.Forward(outp, a, b, options);
        Residual.Backward(da, db, dout, options);
        ReferenceLayers.ResidualForward<float>(expected, a, b);
        ReferenceLayers.ResidualBackward<float>(expectedDa, expectedDb, dout);

        // Assert
        Assert.Equal(expected, outp);
        Assert.Equal(expectedDa, da);
        Assert.Equal(expectedDb, db);
    }

    [Fact]
    public void Forward_OutputAliasesInput_AddsInPlace()
    {
        // Arrange
        var (a, b) = (Random(1, 33), Random(2, 33));
        var expected = new float[33];
        Residual.Forward(expected, a, b);

        // Act
        Residual.Forward(a, a, b);

        // Assert
        Assert.Equal(expected, a);
    }

    [Fact]
    public void Backward_SameBufferForBothBranches_ReceivesTwiceTheGradient()
    {
        // Arrange
        var (grad, dout) = (Random(1, 33), Random(2, 33));
        var expected = grad.Select((g, i) => g + dout[i] + dout[i]).ToArray();

        // Act
        Residual.Backward(grad, grad, dout);

        // Assert
        Assert.Equal(expected, grad);
    }

    [Fact]
    public void Backward_DoutOverlapsGradient_Throws()
    {
        var buffer = new float[8];
        Assert.Throws<ArgumentException>(() => Residual.Backward(buffer, new float[8], buffer));
    }

    [Fact]
    public void Backward_ReferenceInDouble_MatchesFiniteDifferences()
    {
        // Arrange: loss = Σ g·(a + b).
        var (a, b, g) = (ToDouble(Random(1, 7)), ToDouble(Random(2, 7)), ToDouble(Random(3, 7)));
        var outp = new double[7];
        double Loss()
        {
            ReferenceLayers.ResidualForward<double>(outp, a, b);
            return Dot(g, outp);
        }

        // Act
        var (da, db) = (new double[7], new double[7]);
        ReferenceLayers.ResidualBackward<double>(da, db, g);

        // Assert
        LayerGradientCheck.AssertMatches(output, "da", a, Loss, da);
        LayerGradientCheck.AssertMatches(output, "db", b, Loss, db);
    }
}
