using FhirRisk.Model.Cpu;
using FhirRisk.Model.Cpu.Reference;
using Xunit.Abstractions;

namespace FhirRisk.Model.Tests.Cpu;

public sealed class GradientNormTests(ITestOutputHelper output)
{
    [Fact]
    public void Global_ThreeFour_IsFive()
    {
        Assert.Equal(5f, GradientNorm.Global([3f, 4f]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(127)]
    [InlineData(GradientNorm.ChunkSize)]
    [InlineData(GradientNorm.ChunkSize + 1)]
    [InlineData(100_003)]
    public void Global_MatchesDoubleReference(int n)
    {
        // Arrange
        var grads = RandomValues(n, seed: n);

        // Act
        var norm = GradientNorm.Global(grads, options: new ComputeOptions(2));
        var reference = ReferenceOptim.GlobalNorm(grads);

        // Assert: the only loss is the final rounding to float.
        var relative = Math.Abs(norm - reference) / reference;
        output.WriteLine($"n={n}: norm {norm}, reference {reference:R}, relative diff {relative:E2}");
        Assert.True(relative <= 6e-8, $"relative diff {relative:E2}");
    }

    [Fact]
    public void Global_OneOrTwoThreads_GiveIdenticalBits()
    {
        // Arrange
        var grads = RandomValues(5 * GradientNorm.ChunkSize + 7, seed: 1);
        IReadOnlyList<ParameterRange> ranges = [new(3, 2 * GradientNorm.ChunkSize + 1), new(3 * GradientNorm.ChunkSize, 30_000)];

        // Act / Assert
        Assert.Equal(GradientNorm.Global(grads, options: ComputeOptions.SingleThreaded), GradientNorm.Global(grads, options: new ComputeOptions(2)));
        Assert.Equal(GradientNorm.Global(grads, ranges, ComputeOptions.SingleThreaded), GradientNorm.Global(grads, ranges, new ComputeOptions(2)));
    }

    [Fact]
    public void Global_Ranges_CountOnlyThoseElements()
    {
        // Arrange: 1s inside the ranges, 100s outside.
        var grads = Enumerable.Repeat(100f, 40).ToArray();
        IReadOnlyList<ParameterRange> ranges = [new(2, 3), new(30, 6)];
        foreach (var range in ranges)
        {
            grads.AsSpan(range.Offset, range.Length).Fill(1f);
        }

        // Act
        var norm = GradientNorm.Global(grads, ranges);

        // Assert
        Assert.Equal(3f, norm);
        Assert.Equal(ReferenceOptim.GlobalNorm(grads, ranges), norm, 6);
    }

    [Fact]
    public void ClipInPlace_NormAboveMax_ScalesByPyTorchCoefficientAndReturnsPreClipNorm()
    {
        // Arrange
        float[] grads = [3f, 4f, 0f];

        // Act
        var norm = GradientNorm.ClipInPlace(grads, maxNorm: 1f);

        // Assert: clip_coef = max_norm / (total_norm + 1e-6), in float.
        var coefficient = 1f / (5f + 1e-6f);
        Assert.Equal(5f, norm);
        Assert.Equal([3f * coefficient, 4f * coefficient, 0f], grads);
        Assert.Equal(1f, GradientNorm.Global(grads), 5);
    }

    [Fact]
    public void ClipInPlace_NormBelowMax_LeavesGradientsUntouched()
    {
        // Arrange
        var grads = RandomValues(1000, seed: 2);
        var before = (float[])grads.Clone();
        var expectedNorm = GradientNorm.Global(grads);

        // Act
        var norm = GradientNorm.ClipInPlace(grads, maxNorm: expectedNorm * 2);

        // Assert
        Assert.Equal(expectedNorm, norm);
        Assert.Equal(before, grads);
    }

    [Fact]
    public void ClipInPlace_Ranges_ScaleOnlyThoseElements()
    {
        // Arrange
        float[] grads = [3f, 4f, 7f];
        IReadOnlyList<ParameterRange> ranges = [new(0, 2)];

        // Act
        var norm = GradientNorm.ClipInPlace(grads, maxNorm: 2.5f, ranges);

        // Assert
        var coefficient = 2.5f / (5f + 1e-6f);
        Assert.Equal(5f, norm);
        Assert.Equal([3f * coefficient, 4f * coefficient, 7f], grads);
    }

    [Fact]
    public void ClipInPlace_NonFiniteNorm_PoisonsGradientsAsPyTorch()
    {
        // Arrange
        float[] grads = [1f, float.NaN, 2f];

        // Act
        var norm = GradientNorm.ClipInPlace(grads, maxNorm: 1f);

        // Assert
        Assert.True(float.IsNaN(norm));
        Assert.All(grads, g => Assert.True(float.IsNaN(g)));
    }

    [Fact]
    public void Global_RangeOutsideBuffer_Throws()
    {
        Assert.Throws<ArgumentException>(() => GradientNorm.Global(new float[4], [new ParameterRange(2, 3)]));
    }

    private static float[] RandomValues(int n, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }
}
