using FhirRisk.Model.Compute;
using Xunit.Abstractions;

namespace FhirRisk.Model.Torch.Tests;

/// <summary>Seeded inputs, buffers made from host arrays, and the comparison of a Torch output with the CPU oracle's.</summary>
internal static class Conformance
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

    /// <summary>Ids uniform in [0, vocab).</summary>
    public static int[] Ids(int seed, int length, int vocab)
    {
        var random = new Random(seed);
        var ids = new int[length];
        for (var i = 0; i < length; i++)
            ids[i] = random.Next(vocab);
        return ids;
    }

    /// <summary>A buffer of the backend holding a copy of <paramref name="values"/>.</summary>
    public static DeviceBuffer<float> Load(this IComputeBackend backend, float[] values)
    {
        var buffer = backend.Allocate(values.Length);
        buffer.CopyFrom(values);
        return buffer;
    }

    /// <inheritdoc cref="Load(IComputeBackend, float[])"/>
    public static DeviceBuffer<int> Load(this IComputeBackend backend, int[] values)
    {
        var buffer = backend.AllocateInt(values.Length);
        buffer.CopyFrom(values);
        return buffer;
    }

    /// <summary>Asserts <c>|torch − cpu| ≤ atol + rtol·|cpu|</c> everywhere, after printing the max abs diff.</summary>
    public static void AssertClose(ITestOutputHelper output, string name, float[] cpu, float[] torch, double atol, double rtol)
    {
        Assert.Equal(cpu.Length, torch.Length);
        var (maxDiff, firstBad) = (0.0, -1);
        for (var i = 0; i < cpu.Length; i++)
        {
            var diff = Math.Abs((double)torch[i] - cpu[i]);
            maxDiff = Math.Max(maxDiff, double.IsNaN(diff) ? double.PositiveInfinity : diff);
            if (firstBad < 0 && !(diff <= atol + rtol * Math.Abs(cpu[i])))
                firstBad = i;
        }

        output.WriteLine($"{name}: {cpu.Length} values, max |torch − cpu| = {maxDiff:E2}");
        Assert.True(firstBad < 0, firstBad < 0 ? "" :
            $"{name}[{firstBad}]: torch {torch[firstBad]:R}, cpu {cpu[firstBad]:R} (atol {atol}, rtol {rtol}; max diff {maxDiff:E2})");
    }

    /// <summary>Asserts the two outputs are the same bits.</summary>
    public static void AssertIdentical(ITestOutputHelper output, string name, float[] cpu, float[] torch)
    {
        Assert.Equal(cpu.Length, torch.Length);
        var differing = 0;
        for (var i = 0; i < cpu.Length; i++)
            differing += BitConverter.SingleToInt32Bits(cpu[i]) == BitConverter.SingleToInt32Bits(torch[i]) ? 0 : 1;
        output.WriteLine($"{name}: {cpu.Length} values, {differing} differ in bits");
        Assert.Equal(0, differing);
    }
}
