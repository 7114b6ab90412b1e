using Xunit.Abstractions;

namespace FhirRisk.Model.Tests.Cpu.Kernels;

/// <summary>Seeded inputs and tolerance checks shared by the layer kernel tests.</summary>
internal static class LayerTestTensors
{
    /// <summary>Uniform values in [−scale, scale).</summary>
    public static float[] Random(int seed, int length, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (var i = 0; i < length; i++)
            values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        return values;
    }

    public static int[] Tokens(int seed, int length, int vocab)
    {
        var random = new Random(seed);
        var tokens = new int[length];
        for (var i = 0; i < length; i++)
            tokens[i] = random.Next(vocab);
        return tokens;
    }

    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
            result[i] = values[i];
        return result;
    }

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }

    /// <summary>Asserts <c>|actual − expected| ≤ atol + rtol·|expected|</c> everywhere, after printing the max abs diff.</summary>
    public static void AssertClose(ITestOutputHelper output, string name, ReadOnlySpan<double> expected, ReadOnlySpan<float> actual,
        double atol, double rtol) => AssertClose(output, name, expected, ToDouble(actual), atol, rtol);

    /// <inheritdoc cref="AssertClose(ITestOutputHelper, string, ReadOnlySpan{double}, ReadOnlySpan{float}, double, double)"/>
    public static void AssertClose(ITestOutputHelper output, string name, ReadOnlySpan<double> expected, ReadOnlySpan<double> actual,
        double atol, double rtol)
    {
        Assert.Equal(expected.Length, actual.Length);
        var (maxDiff, firstBad) = (0.0, -1);
        for (var i = 0; i < expected.Length; i++)
        {
            var diff = Math.Abs(actual[i] - expected[i]);
            maxDiff = Math.Max(maxDiff, double.IsNaN(diff) ? double.PositiveInfinity : diff);
            if (firstBad < 0 && !(diff <= atol + rtol * Math.Abs(expected[i])))
                firstBad = i;
        }

        output.WriteLine($"{name}: max abs diff {maxDiff:E2} over {expected.Length} values");
        Assert.True(firstBad < 0,
            firstBad < 0 ? "" : $"{name}[{firstBad}] = {actual[firstBad]:R}, expected {expected[firstBad]:R} (atol {atol}, rtol {rtol})");
    }
}
