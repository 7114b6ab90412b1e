using FhirRisk.Model.Cpu;
using FhirRisk.Model.Cpu.Reference;
using Xunit.Abstractions;
using static FhirRisk.Model.Tests.Cpu.Kernels.LayerTestTensors;

namespace FhirRisk.Model.Tests.Cpu.Kernels;

public sealed class SoftmaxCrossEntropyTests(ITestOutputHelper output)
{
    private const int Ignore = SoftmaxCrossEntropy.IgnoreIndex;

    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var (n, v) in new[] { (1, 1), (3, 3), (17, 17), (63, 63), (17, 65), (3, 127), (65, 1000) })
        {
            data.Add(n, v, 1);
            data.Add(n, v, 2);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_OverShapeSweep_MatchesReference(int n, int v, int threads)
    {
        // Arrange
        var (logits, targets, vp) = Batch(n, v, scale: 8f);
        var losses = new float[n];
        var expectedLosses = new double[n];

        // Act
        var loss = SoftmaxCrossEntropy.Forward(losses, logits, targets, n, v, vp, new ComputeOptions(threads));
        var expected = ReferenceLayers.SoftmaxCrossEntropyForward<double>(expectedLosses, ToDouble(logits), targets, n, v, vp);

        // Assert
        AssertClose(output, "losses", expectedLosses, losses, 1e-5, 1e-5);
        AssertClose(output, "mean loss", [expected], [loss], 1e-5, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardAndSoftmax_OverShapeSweep_MatchReference(int n, int v, int threads)
    {
        // Arrange: the outputs start as garbage, because these kernels overwrite.
        var options = new ComputeOptions(threads);
        var (logits, targets, vp) = Batch(n, v, scale: 8f);
        var (dlogits, probs) = (Random(9, n * vp, 100f), Random(10, n * vp, 100f));
        var (expectedDlogits, expectedProbs) = (new double[n * vp], new double[n * vp]);

        // Act
        SoftmaxCrossEntropy.Backward(dlogits, logits, targets, n, v, vp, options);
        SoftmaxCrossEntropy.Softmax(probs, logits, n, v, vp, options);
        ReferenceLayers.SoftmaxCrossEntropyBackward<double>(expectedDlogits, ToDouble(logits), targets, n, v, vp);
        ReferenceLayers.Softmax<double>(expectedProbs, ToDouble(logits), n, v, vp);

        // Assert: padded columns and ignored rows are exactly 0 in the reference, so the tolerance pins them too.
        AssertClose(output, "dlogits", expectedDlogits, dlogits, 1e-8, 1e-5);
        AssertClose(output, "probs", expectedProbs, probs, 1e-8, 1e-5);
    }

    [Fact]
    public void Backward_DlogitsAliasesLogits_EqualsSeparateBuffer()
    {
        // Arrange
        var (logits, targets, vp) = Batch(17, 65, scale: 4f);
        var expected = new float[logits.Length];
        SoftmaxCrossEntropy.Backward(expected, logits, targets, 17, 65, vp);
        var expectedProbs = new float[logits.Length];
        SoftmaxCrossEntropy.Softmax(expectedProbs, logits, 17, 65, vp);
        var inPlaceProbs = (float[])logits.Clone();

        // Act
        SoftmaxCrossEntropy.Backward(logits, logits, targets, 17, 65, vp);
        SoftmaxCrossEntropy.Softmax(inPlaceProbs, inPlaceProbs, 17, 65, vp);

        // Assert
        Assert.Equal(expected, logits);
        Assert.Equal(expectedProbs, inPlaceProbs);
    }

    [Fact]
    public void Backward_ReferenceInDouble_MatchesFiniteDifferencesOfMeanLoss()
    {
        // Arrange: 4 rows, one ignored, V = 5 padded to 8 (padding is NaN and must never be read).
        const int n = 4, v = 5, vp = 8;
        var (logitsFloat, _, _) = Batch(n, v, scale: 3f, vp);
        var logits = ToDouble(logitsFloat);
        int[] targets = [2, Ignore, 0, 4];
        var losses = new double[n];
        double Loss() => ReferenceLayers.SoftmaxCrossEntropyForward<double>(losses, logits, targets, n, v, vp);

        // Act
        var dlogits = new double[n * vp];
        ReferenceLayers.SoftmaxCrossEntropyBackward<double>(dlogits, logits, targets, n, v, vp);

        // Assert
        LayerGradientCheck.AssertMatches(output, "dlogits", logits, Loss, dlogits);
    }

    [Fact]
    public void Forward_KnownAnswer_IsLogSumExpMinusTargetLogit()
    {
        // Arrange: log(e¹ + e² + e³) − 3 = 0.4076059644…; the second row is ignored and must not count.
        float[] logits = [1f, 2f, 3f, 0f, 9f, 9f, 9f, 0f];
        var losses = new float[2];

        // Act
        var loss = SoftmaxCrossEntropy.Forward(losses, logits, [2, Ignore], 2, 3, 4);

        // Assert
        Assert.Equal(0.40760596f, loss, 1e-6f);
        Assert.Equal([loss, 0f], losses);
    }

    [Fact]
    public void ForwardAndBackward_AllRowsIgnored_GiveZeroLossAndZeroGradient()
    {
        // Arrange
        var (logits, _, vp) = Batch(3, 17, scale: 1f);
        int[] targets = [Ignore, Ignore, Ignore];
        var dlogits = Random(2, logits.Length);

        // Act
        var loss = SoftmaxCrossEntropy.Forward(new float[3], logits, targets, 3, 17, vp);
        SoftmaxCrossEntropy.Backward(dlogits, logits, targets, 3, 17, vp);

        // Assert
        Assert.Equal(0f, loss);
        Assert.All(dlogits, d => Assert.Equal(0f, d));
    }

    [Fact]
    public void ForwardAndBackward_ExtremeLogits_AreFiniteAndMatchReference()
    {
        // Arrange: ±1e4 logits, so exp without the max subtraction would overflow; 20 columns cover the vector
        // body and the scalar tail.
        const int n = 5, v = 20, vp = 64;
        var (logits, _, _) = Batch(n, v, scale: 1f, vp);
        for (var i = 0; i < n * vp; i++)
        {
            if (i % vp < v)
                logits[i] = logits[i] >= 0 ? 1e4f : -1e4f;
        }

        int[] targets = [0, 7, 19, Ignore, 3];
        var (losses, dlogits) = (new float[n], new float[n * vp]);
        var (expectedLosses, expectedDlogits) = (new double[n], new double[n * vp]);

        // Act
        var loss = SoftmaxCrossEntropy.Forward(losses, logits, targets, n, v, vp);
        SoftmaxCrossEntropy.Backward(dlogits, logits, targets, n, v, vp);
        var expected = ReferenceLayers.SoftmaxCrossEntropyForward<double>(expectedLosses, ToDouble(logits), targets, n, v, vp);
        ReferenceLayers.SoftmaxCrossEntropyBackward<double>(expectedDlogits, ToDouble(logits), targets, n, v, vp);

        // Assert
        Assert.True(float.IsFinite(loss));
        Assert.All(dlogits, d => Assert.True(float.IsFinite(d)));
        AssertClose(output, "losses", expectedLosses, losses, 1e-3, 1e-6);
        AssertClose(output, "mean loss", [expected], [loss], 1e-3, 1e-6);
        AssertClose(output, "dlogits", expectedDlogits, dlogits, 1e-7, 1e-5);
    }

    [Fact]
    public void ForwardAndBackward_TwoThreads_AreBitIdenticalToOneThread()
    {
        // Arrange: large enough to split into two chunks.
        const int n = 64, v = 1000;
        var (logits, targets, vp) = Batch(n, v, scale: 8f);

        // Act
        var single = Run(ComputeOptions.SingleThreaded);
        var first = Run(new ComputeOptions(2));
        var second = Run(new ComputeOptions(2));

        // Assert
        Assert.Equal(first, second);
        Assert.Equal(single, first);

        float[] Run(ComputeOptions options)
        {
            var dlogits = new float[n * vp];
            var loss = SoftmaxCrossEntropy.Forward(new float[n], logits, targets, n, v, vp, options);
            SoftmaxCrossEntropy.Backward(dlogits, logits, targets, n, v, vp, options);
            return [loss, .. dlogits];
        }
    }

    [Fact]
    public void Arguments_BadTargetsOrPartialAlias_Throw()
    {
        var logits = new float[2 * 64];
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Forward(new float[2], logits, [], 2, 10, 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Forward(new float[2], logits, [0, 10], 2, 10, 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Forward(new float[2], logits, [0, -1], 2, 10, 64));
        var shifted = new float[3 * 64];
        Assert.Throws<ArgumentException>(() =>
            SoftmaxCrossEntropy.Backward(shifted.AsSpan(64), shifted.AsSpan(0, 2 * 64), [0, 1], 2, 10, 64));
    }

    /// <summary>Logits (N, Vp) uniform in [−scale, scale) with NaN padding, and targets with every fourth row ignored.</summary>
    private static (float[] Logits, int[] Targets, int Vp) Batch(int n, int v, float scale, int vp = 0)
    {
        vp = vp == 0 ? (v + 63) / 64 * 64 : vp;
        var logits = Random(n * 1000 + v, n * vp, scale);
        for (var i = 0; i < logits.Length; i++)
        {
            if (i % vp >= v)
                logits[i] = float.NaN;
        }

        var targets = Tokens(v, n, v);
        for (var row = 3; row < n; row += 4)
            targets[row] = Ignore;
        return (logits, targets, vp);
    }
}
