using System.Runtime.Intrinsics;
using FhirRisk.Model.Cpu;
using Xunit.Abstractions;

namespace FhirRisk.Model.Tests.Cpu.Kernels;

public sealed class FastExpTests(ITestOutputHelper output)
{
    /// <summary>One float ulp at the magnitude of <paramref name="value"/>.</summary>
    private static double Ulp(double value)
    {
        var f = MathF.Abs((float)value);
        return (double)MathF.BitIncrement(f) - f;
    }

    [Fact]
    public void Exp_EveryStridedFloatOfTheNormalRange_IsWithinOneUlpOfDouble()
    {
        // Arrange: every 61st float from −87.3 to 88.72 (about 36 million values, dense near 0 as floats are).
        const int stride = 61;
        var lanes = new float[Vector512<float>.Count];
        var (worst, worstAt, count) = (0.0, 0f, 0L);
        var x = -87.3f;

        // Act
        while (x < 88.72f)
        {
            for (var lane = 0; lane < lanes.Length; lane++)
            {
                lanes[lane] = x;
                for (var s = 0; s < stride; s++)
                    x = MathF.BitIncrement(x);
            }

            var got = FastExp.Exp(Vector512.Create(lanes));
            for (var lane = 0; lane < lanes.Length; lane++)
            {
                var expected = Math.Exp(lanes[lane]);
                var ulps = Math.Abs(got[lane] - expected) / Ulp(expected);
                if (ulps > worst)
                    (worst, worstAt) = (ulps, lanes[lane]);
                count++;
            }
        }

        // Assert: the bound quoted in FastExp's remarks.
        output.WriteLine($"{count} values, max error {worst:F3} ulp at x = {worstAt:R}");
        Assert.True(worst <= 1.0, $"max error {worst:F3} ulp at x = {worstAt:R}");
    }

    [Fact]
    public void Exp_SubnormalResults_AreWithinOneSubnormalUlp()
    {
        // Arrange: results below FLT_MIN, where the last factor of 2^n rounds to a subnormal.
        var (worst, x) = (0.0, -103.97f);

        // Act
        for (; x < -87.34f; x += 0.00123f)
            worst = Math.Max(worst, Math.Abs(FastExp.Exp(x) - Math.Exp(x)));

        // Assert
        Assert.True(worst <= float.Epsilon, $"absolute error {worst:E2}");
    }

    [Theory]
    [InlineData(0f, 1f)]
    [InlineData(88.7228394f, float.PositiveInfinity)]
    [InlineData(89f, float.PositiveInfinity)]
    [InlineData(float.MaxValue, float.PositiveInfinity)]
    [InlineData(float.PositiveInfinity, float.PositiveInfinity)]
    [InlineData(-104f, 0f)]
    [InlineData(-1000f, 0f)]
    [InlineData(float.NegativeInfinity, 0f)]
    [InlineData(float.NaN, float.NaN)]
    public void Exp_SpecialInputs_GiveTheLimits(float x, float expected)
    {
        // Act
        var scalar = FastExp.Exp(x);
        var wide = FastExp.Exp(Vector512.Create(x));
        var narrow = FastExp.Exp(Vector256.Create(x));

        // Assert
        Assert.Equal(expected, scalar);
        Assert.Equal(expected, wide[3]);
        Assert.Equal(expected, narrow[5]);
    }

    [Fact]
    public void Exp_ScalarAndBothVectorWidths_AgreeBitForBit()
    {
        // Arrange: a spread of inputs over the whole domain, specials included.
        var random = new Random(7);
        var inputs = new float[4096];
        for (var i = 0; i < inputs.Length; i++)
            inputs[i] = (float)(random.NextDouble() * 200 - 110);
        inputs[0] = float.NaN;
        inputs[1] = float.NegativeInfinity;
        inputs[2] = 88.72f;
        inputs[3] = -87.4f;

        // Act / Assert: a value's result does not depend on the path that computes it.
        for (var i = 0; i < inputs.Length; i += Vector512<float>.Count)
        {
            var wide = FastExp.Exp(Vector512.Create(inputs.AsSpan(i, Vector512<float>.Count)));
            var narrow = FastExp.Exp(Vector256.Create(inputs.AsSpan(i, Vector256<float>.Count)));
            for (var lane = 0; lane < Vector512<float>.Count; lane++)
            {
                var scalar = FastExp.Exp(inputs[i + lane]);
                Assert.Equal(BitConverter.SingleToInt32Bits(scalar), BitConverter.SingleToInt32Bits(wide[lane]));
                if (lane < Vector256<float>.Count)
                    Assert.Equal(BitConverter.SingleToInt32Bits(scalar), BitConverter.SingleToInt32Bits(narrow[lane]));
            }
        }
    }
}
