using System.Runtime.Intrinsics;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Cpu.Reference;
using Xunit.Abstractions;
using static FhirRisk.Model.Tests.Cpu.Kernels.LayerTestTensors;

namespace FhirRisk.Model.Tests.Cpu.Kernels;

public sealed class AttentionTests(ITestOutputHelper output)
{
    /// <summary>T around the 64-wide tiles (one partial tile, exactly one, one plus a row, two plus two rows) ×
    /// NH × HS, plus HS = 9 and HS = 3 for vector tails; threads alternate so both paths see every T.</summary>
    public static TheoryData<int, int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int, int>();
        var threads = 1;
        foreach (var t in new[] { 1, 2, 17, 63, 64, 65, 130 })
        {
            foreach (var nh in new[] { 1, 2, 4 })
            foreach (var hs in new[] { 8, 16, 32 })
                data.Add(t, nh, hs, threads = 3 - threads);
            data.Add(t, 4, 9, 2);
            data.Add(t, 5, 3, 1);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_OverShapeSweep_MatchesReference(int t, int nh, int hs, int threads)
    {
        // Arrange
        var (b, c) = (2, nh * hs);
        var qkv = Random(1, b * t * 3 * c, 2f);
        var (outp, stats) = (new float[b * t * c], new float[b * nh * t]);

        // Act
        Attention.Forward(outp, stats, qkv, b, t, c, nh, new ComputeOptions(threads));
        var expected = ReferenceForward(qkv, b, t, c, nh);

        // Assert
        AssertClose(output, "out", expected.Output, outp, 1e-5, 1e-5);
        AssertClose(output, "stats", expected.Stats, stats, 1e-5, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_OverShapeSweep_AccumulatesReferenceGradients(int t, int nh, int hs, int threads)
    {
        // Arrange: dqkv starts non-zero to check that the kernel adds (+=) rather than overwrites. One sequence at
        // T = 130 keeps the double reference quick; the shorter ones check the batch offsets.
        var (b, c) = (t > 65 ? 1 : 2, nh * hs);
        var (qkv, dout, dqkv) = (Random(1, b * t * 3 * c, 2f), Random(2, b * t * c), Random(3, b * t * 3 * c));
        var (outp, stats) = (new float[b * t * c], new float[b * nh * t]);
        Attention.Forward(outp, stats, qkv, b, t, c, nh, ComputeOptions.SingleThreaded);
        var expected = ToDouble(dqkv);

        // Act
        Attention.Backward(dqkv, dout, qkv, outp, stats, b, t, c, nh, new ComputeOptions(threads));
        ReferenceAttention.Backward<double>(expected, ToDouble(dout), ToDouble(qkv), ReferenceForward(qkv, b, t, c, nh).Att, b, t, c, nh);

        // Assert
        AssertClose(output, "dqkv", expected, dqkv, 1e-5, 1e-5);
    }

    [Theory]
    [InlineData(17, 2, 16)]
    [InlineData(65, 4, 9)]
    [InlineData(130, 2, 32)]
    public void ForwardAndBackward_Vector256Path_MatchReference(int t, int nh, int hs)
    {
        // Arrange: the 256-bit fallback runs only where AVX-512 is missing, so call it directly.
        var (b, c) = (2, nh * hs);
        var (qkv, dout) = (Random(1, b * t * 3 * c, 2f), Random(2, b * t * c));
        var (outp, stats, dqkv) = (new float[b * t * c], new float[b * nh * t], new float[b * t * 3 * c]);

        // Act
        Attention.Forward<Vector256<float>, AttentionSimd256>(outp, stats, qkv, b, t, c, nh, null);
        Attention.Backward<Vector256<float>, AttentionSimd256>(dqkv, dout, qkv, outp, stats, b, t, c, nh, null);
        var expected = ReferenceForward(qkv, b, t, c, nh);
        var expectedDqkv = new double[dqkv.Length];
        ReferenceAttention.Backward<double>(expectedDqkv, ToDouble(dout), ToDouble(qkv), expected.Att, b, t, c, nh);

        // Assert
        AssertClose(output, "out", expected.Output, outp, 1e-5, 1e-5);
        AssertClose(output, "stats", expected.Stats, stats, 1e-5, 1e-5);
        AssertClose(output, "dqkv", expectedDqkv, dqkv, 1e-5, 1e-5);
    }

    [Fact]
    public void Forward_ChangingAFutureToken_LeavesEarlierOutputsUnchanged()
    {
        // Arrange: position 70 sits in the second tile, so rows 64..69 share its (diagonal) tile and rows 0..63 do not.
        const int b = 2, t = 130, nh = 2, c = 32, changed = 70;
        var qkv = Random(1, b * t * 3 * c, 2f);
        var altered = (float[])qkv.Clone();
        for (var i = 0; i < 3 * c; i++)
            altered[(t + changed) * 3 * c + i] += 1f;
        var (before, after, stats) = (new float[b * t * c], new float[b * t * c], new float[b * nh * t]);

        // Act
        Attention.Forward(before, stats, qkv, b, t, c, nh);
        Attention.Forward(after, stats, altered, b, t, c, nh);

        // Assert: the first sequence and the second's earlier rows are bit-identical; the changed row is not.
        Assert.Equal(before.AsSpan(0, (t + changed) * c).ToArray(), after.AsSpan(0, (t + changed) * c).ToArray());
        Assert.NotEqual(before.AsSpan((t + changed) * c, c).ToArray(), after.AsSpan((t + changed) * c, c).ToArray());
    }

    [Fact]
    public void Backward_GradientOfEarlierRowsOnly_LeavesLaterTokensUntouched()
    {
        // Arrange: dout is zero from position 70 on, so no gradient may reach q, k or v of positions ≥ 70.
        const int b = 1, t = 130, nh = 2, c = 32, cut = 70;
        var (qkv, dout) = (Random(1, b * t * 3 * c, 2f), Random(2, b * t * c));
        dout.AsSpan(cut * c).Clear();
        var (outp, stats, dqkv) = (new float[b * t * c], new float[b * nh * t], new float[b * t * 3 * c]);
        Attention.Forward(outp, stats, qkv, b, t, c, nh);

        // Act
        Attention.Backward(dqkv, dout, qkv, outp, stats, b, t, c, nh);

        // Assert
        Assert.All(dqkv.AsSpan(cut * 3 * c).ToArray(), g => Assert.Equal(0f, g));
        Assert.Contains(dqkv.AsSpan(0, cut * 3 * c).ToArray(), g => g != 0f);
    }

    [Fact]
    public void Backward_ReferenceInDouble_MatchesFiniteDifferences()
    {
        // Arrange: loss = Σ g·out, so d loss / d out = g.
        const int b = 2, t = 5, c = 8, nh = 2;
        var (qkv, g) = (ToDouble(Random(1, b * t * 3 * c, 2f)), ToDouble(Random(2, b * t * c)));
        var (outp, att, stats) = (new double[b * t * c], new double[b * nh * t * t], new double[b * nh * t]);
        double Loss()
        {
            ReferenceAttention.Forward<double>(outp, att, stats, qkv, b, t, c, nh);
            return Dot(g, outp);
        }

        // Act
        Loss();
        var dqkv = new double[qkv.Length];
        ReferenceAttention.Backward<double>(dqkv, g, qkv, att, b, t, c, nh);

        // Assert
        LayerGradientCheck.AssertMatches(output, "dqkv", qkv, Loss, dqkv);
    }

    [Fact]
    public void ForwardAndBackward_OneAndTwoThreads_EachRepeatableAndCorrect()
    {
        // Arrange: big enough that two threads really split the work (24 forward items, 8 backward heads).
        const int b = 2, t = 130, nh = 4, c = 64;
        var (qkv, dout) = (Random(1, b * t * 3 * c, 2f), Random(2, b * t * c));
        var expected = ReferenceForward(qkv, b, t, c, nh);
        var expectedDqkv = new double[qkv.Length];
        ReferenceAttention.Backward<double>(expectedDqkv, ToDouble(dout), ToDouble(qkv), expected.Att, b, t, c, nh);
        (float[] Out, float[] Dqkv) Run(int threads)
        {
            var (outp, stats, dqkv) = (new float[b * t * c], new float[b * nh * t], new float[b * t * 3 * c]);
            Attention.Forward(outp, stats, qkv, b, t, c, nh, new ComputeOptions(threads));
            Attention.Backward(dqkv, dout, qkv, outp, stats, b, t, c, nh, new ComputeOptions(threads));
            return (outp, dqkv);
        }

        foreach (var threads in new[] { 1, 2 })
        {
            // Act
            var (first, second) = (Run(threads), Run(threads));

            // Assert
            Assert.Equal(first.Out, second.Out);
            Assert.Equal(first.Dqkv, second.Dqkv);
            AssertClose(output, $"out, {threads} thread(s)", expected.Output, first.Out, 1e-5, 1e-5);
            AssertClose(output, $"dqkv, {threads} thread(s)", expectedDqkv, first.Dqkv, 1e-5, 1e-5);
        }
    }

    [Fact]
    public void Forward_HeadsNotDividingChannels_Throws()
    {
        var (outp, stats, qkv) = (new float[2 * 10], new float[2 * 3], new float[2 * 30]);

        Assert.Throws<ArgumentException>(() => Attention.Forward(outp, stats, qkv, 1, 2, 10, 3));
    }

    [Fact]
    public void Backward_WrongStatsLength_Throws()
    {
        var (dqkv, dout, qkv, outp) = (new float[2 * 24], new float[2 * 8], new float[2 * 24], new float[2 * 8]);

        Assert.Throws<ArgumentException>(() => Attention.Backward(dqkv, dout, qkv, outp, new float[3], 1, 2, 8, 2));
    }

    private static (double[] Output, double[] Att, double[] Stats) ReferenceForward(float[] qkv, int b, int t, int c, int nh)
    {
        var (outp, att, stats) = (new double[b * t * c], new double[b * nh * t * t], new double[b * nh * t]);
        ReferenceAttention.Forward<double>(outp, att, stats, ToDouble(qkv), b, t, c, nh);
        return (outp, att, stats);
    }
}
