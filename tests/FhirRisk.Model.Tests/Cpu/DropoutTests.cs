using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Tests.Cpu;

public sealed class DropoutTests
{
    private static readonly ComputeOptions TwoThreads = new(2);

    [Fact]
    public void Forward_ZeroProbability_IsIdentity()
    {
        // Arrange
        var input = RandomValues(1003, seed: 1);
        var output = new float[input.Length];

        // Act
        Dropout.Forward(output, input, p: 0f, seed: 5, callIndex: 0);

        // Assert
        Assert.Equal(input, output);
    }

    [Fact]
    public void Backward_ZeroProbability_AccumulatesGradient()
    {
        // Arrange
        var dout = RandomValues(31, seed: 2);
        var dinp = Enumerable.Repeat(1f, 31).ToArray();

        // Act
        Dropout.Backward(dinp, dout, p: 0f, seed: 5, callIndex: 0);

        // Assert
        Assert.Equal(dout.Select(d => 1f + d), dinp);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(1003)]
    [InlineData(3 * 16384 + 5)]
    public void Forward_EachElement_IsPureFunctionOfSeedCallAndIndex(int n)
    {
        // Arrange
        const float p = 0.3f;
        var input = RandomValues(n, seed: 3);
        var output = new float[n];
        var scale = 1f / (float)(1.0 - p);

        // Act
        Dropout.Forward(output, input, p, seed: 77, callIndex: 12, TwoThreads);

        // Assert
        for (var i = 0; i < n; i++)
        {
            var expected = CounterRng.Uniform(77, 12, (ulong)i) >= p ? input[i] * scale : 0f;
            Assert.Equal(expected, output[i]);
        }
    }

    [Fact]
    public void Forward_ManyOnes_KeepsMeanAndDropFraction()
    {
        // Arrange: with p = 0.1 over 200,000 ones, the standard error of the mean is √(p/(1−p)/n) = 0.00075 and that
        // of the kept fraction √(p(1−p)/n) = 0.00067; the bounds are about 7 of them.
        const float p = 0.1f;
        var input = Enumerable.Repeat(1f, 200_000).ToArray();
        var output = new float[input.Length];

        // Act
        Dropout.Forward(output, input, p, seed: 2024, callIndex: 3);

        // Assert
        Assert.InRange(output.Average(x => (double)x), 1 - 0.005, 1 + 0.005);
        Assert.InRange(output.Count(x => x != 0f) / (double)output.Length, 0.9 - 0.005, 0.9 + 0.005);
    }

    [Fact]
    public void ForwardAndBackward_OneOrTwoThreads_GiveIdenticalBits()
    {
        // Arrange
        const int n = 5 * 16384 + 3;
        var input = RandomValues(n, seed: 4);
        var dout = RandomValues(n, seed: 5);
        var (out1, out2) = (new float[n], new float[n]);
        var (dinp1, dinp2) = (new float[n], new float[n]);

        // Act
        Dropout.Forward(out1, input, 0.25f, seed: 9, callIndex: 4, ComputeOptions.SingleThreaded);
        Dropout.Forward(out2, input, 0.25f, seed: 9, callIndex: 4, TwoThreads);
        Dropout.Backward(dinp1, dout, 0.25f, seed: 9, callIndex: 4, ComputeOptions.SingleThreaded);
        Dropout.Backward(dinp2, dout, 0.25f, seed: 9, callIndex: 4, TwoThreads);

        // Assert
        Assert.Equal(out1, out2);
        Assert.Equal(dinp1, dinp2);
    }

    [Fact]
    public void Backward_RecomputesForwardMaskAndAccumulates()
    {
        // Arrange: nonzero inputs, so an output is zero exactly where the mask dropped it.
        const int n = 4099;
        const float p = 0.4f;
        var input = RandomValues(n, seed: 6).Select(x => x + MathF.CopySign(1f, x)).ToArray();
        var dout = RandomValues(n, seed: 7);
        var output = new float[n];
        var dinp = Enumerable.Repeat(0.5f, n).ToArray();
        var scale = 1f / (float)(1.0 - p);

        // Act
        Dropout.Forward(output, input, p, seed: 11, callIndex: 8);
        Dropout.Backward(dinp, dout, p, seed: 11, callIndex: 8);

        // Assert
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(output[i] != 0f ? 0.5f + dout[i] * scale : 0.5f, dinp[i]);
        }
    }

    [Fact]
    public void Forward_DifferentCallIndex_DrawsDifferentMask()
    {
        // Arrange
        var input = Enumerable.Repeat(1f, 1000).ToArray();
        var (first, second) = (new float[1000], new float[1000]);

        // Act
        Dropout.Forward(first, input, 0.5f, seed: 1, callIndex: 0);
        Dropout.Forward(second, input, 0.5f, seed: 1, callIndex: 1);

        // Assert: independent masks agree on about half the elements.
        Assert.InRange(first.Zip(second).Count(p => p.First == p.Second), 400, 600);
    }

    [Fact]
    public void Forward_InPlace_EqualsOutOfPlace()
    {
        // Arrange
        var input = RandomValues(257, seed: 8);
        var outOfPlace = new float[input.Length];
        var inPlace = (float[])input.Clone();

        // Act
        Dropout.Forward(outOfPlace, input, 0.2f, seed: 3, callIndex: 2);
        Dropout.Forward(inPlace, inPlace, 0.2f, seed: 3, callIndex: 2);

        // Assert
        Assert.Equal(outOfPlace, inPlace);
    }

    [Fact]
    public void Forward_ProbabilityOne_WritesZeros()
    {
        // Arrange
        var input = RandomValues(65, seed: 9);
        var output = Enumerable.Repeat(7f, 65).ToArray();

        // Act
        Dropout.Forward(output, input, 1f, seed: 3, callIndex: 2);

        // Assert
        Assert.All(output, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Forward_ProbabilityOutsideUnitInterval_Throws()
    {
        var buffer = new float[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Forward(buffer, buffer, 1.5f, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Dropout.Forward(buffer, buffer, float.NaN, 0, 0));
    }

    private static float[] RandomValues(int n, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }
}
