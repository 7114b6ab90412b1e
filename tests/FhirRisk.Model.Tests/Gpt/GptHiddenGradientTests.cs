using FhirRisk.Model.Gpt;
using FhirRisk.Model.Gpt.Reference;
using FhirRisk.Model.Tests.Cpu.Kernels;
using Xunit.Abstractions;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Model.Tests.Gpt;

/// <summary>The task-head path: <see cref="GptModel.ForwardHidden"/> and <see cref="GptModel.BackwardHidden"/>.</summary>
public sealed class GptHiddenGradientTests(ITestOutputHelper output)
{
    private static readonly GptConfig Config = new(VocabSize: 29, Layers: 2, Heads: 3, Channels: 24, ContextLength: 7, Dropout: 0.2f);
    private static readonly int[] HeadRows = [6, 13, 2];
    private const int B = 3, T = 7;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BackwardHidden_MatchesTheReferenceInDouble(bool includeLoss)
    {
        // Arrange: head gradients at three rows; the reference gets them as a full (N, C) gradient, zero elsewhere.
        var parameters = GptParameters.Initialize(Config, seed: 21);
        var tokens = GptTestBatches.Tokens(1, B * T, Config.VocabSize);
        var targets = GptTestBatches.Targets(2, B * T, Config.VocabSize);
        var dHidden = LayerTestTensors.Random(3, HeadRows.Length * Config.Channels, 1f);
        var key = new DropoutKey(Seed: 4, Step: 2);
        var model = new GptModel(parameters, maxBatch: 3, new ComputeOptions(2));
        var reference = new ReferenceGpt<double>(parameters.Layout, ReferenceGpt<double>.Convert(parameters.Values));

        // Act
        if (includeLoss)
            model.Forward(tokens, targets, B, T, key);
        else
            model.ForwardHidden(tokens, B, T, key);
        model.BackwardHidden(HeadRows, dHidden, includeLoss);
        reference.Forward(tokens, includeLoss ? targets : null, B, T, key);
        reference.Backward(Spread(dHidden), includeLoss);

        // Assert: head gradients of order 1 make these gradients ~20× larger than the loss path's, and float32 sums
        // with cancellation leave small elements with relative errors up to ~5e-4 (measured max abs diff 1.4e-5 on
        // wpe, whose largest element is ~1). So the absolute tolerance is 1e-5 of each tensor's largest gradient — a
        // float32-level error — with 1e-4 relative on top; a missing or doubled term is off by O(max) and fails.
        var gradients = model.Gradients.ToArray();
        foreach (var tensor in parameters.Layout.Tensors)
        {
            var expected = reference.Gradients.AsSpan(tensor.Range.Offset, tensor.Range.Length);
            var scale = 0.0;
            foreach (var g in expected)
                scale = Math.Max(scale, Math.Abs(g));
            LayerTestTensors.AssertClose(output, tensor.Name, expected, gradients.AsSpan(tensor.Range.Offset, tensor.Range.Length),
                Math.Max(2e-7, 1e-5 * scale), 1e-4);
        }
    }

    [Fact]
    public void ForwardHidden_GivesForwardsHiddenStates()
    {
        var parameters = GptParameters.Initialize(Config with { Dropout = 0f }, seed: 5);
        var tokens = GptTestBatches.Tokens(6, B * T, Config.VocabSize);
        var rows = Enumerable.Range(0, B * T).ToArray();
        var (viaForward, viaHidden) = (new float[B * T * Config.Channels], new float[B * T * Config.Channels]);
        var model = new GptModel(parameters, maxBatch: 3, ComputeOptions.SingleThreaded);

        model.Forward(tokens, B, T);
        model.HiddenStates(rows, viaForward);
        model.ForwardHidden(tokens, B, T);
        model.HiddenStates(rows, viaHidden);

        Assert.Equal(viaForward, viaHidden);
        Assert.Throws<InvalidOperationException>(() => model.ReadLogits());
    }

    [Fact]
    public void BackwardHidden_RefusesRepeatedOrOutsideRows_AndALossItDoesNotHave()
    {
        var model = new GptModel(GptParameters.Initialize(Config, seed: 1), maxBatch: 3, ComputeOptions.SingleThreaded);
        var dHidden = new float[2 * Config.Channels];
        model.ForwardHidden(GptTestBatches.Tokens(1, B * T, Config.VocabSize), B, T);

        Assert.Throws<ArgumentException>(() => model.BackwardHidden([4, 4], dHidden));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.BackwardHidden([4, B * T], dHidden));
        Assert.Throws<InvalidOperationException>(() => model.BackwardHidden([4, 5], dHidden, includeLoss: true));

        model.BackwardHidden([4, 5], dHidden);
        Assert.Throws<InvalidOperationException>(() => model.BackwardHidden([4, 5], dHidden));
    }

    [Fact]
    public void ReferenceBackward_OfALinearReadOut_MatchesCentralDifferences()
    {
        // Arrange: L(θ) = Σ dH·hidden(θ) over three rows, in double on a tiny model (as the loss path's check).
        var config = new GptConfig(VocabSize: 11, Layers: 2, Heads: 2, Channels: 8, ContextLength: 5);
        var layout = new GptLayout(config);
        var model = new ReferenceGpt<double>(layout, LayerTestTensors.ToDouble(LayerTestTensors.Random(3, layout.Count, 0.3f)));
        var (b, t) = (2, 5);
        var tokens = GptTestBatches.Tokens(1, b * t, config.VocabSize);
        var dHidden = LayerTestTensors.ToDouble(LayerTestTensors.Random(7, b * t * config.Channels, 1f));
        foreach (var row in new[] { 0, 2, 4, 5, 7, 9 })
            dHidden.AsSpan(row * config.Channels, config.Channels).Clear();
        model.Forward(tokens, null, b, t);
        model.Backward(dHidden, includeLoss: false);
        var random = new Random(8);

        // Act / Assert
        const double h = 1e-5;
        foreach (var tensor in layout.Tensors)
        {
            var length = tensor.Range == layout.Wte ? config.VocabSize * config.Channels : tensor.Range.Length;
            for (var sample = 0; sample < 3; sample++)
            {
                var i = tensor.Range.Offset + random.Next(length);
                var original = model.Parameters[i];
                model.Parameters[i] = original + h;
                var plus = ReadOut();
                model.Parameters[i] = original - h;
                var minus = ReadOut();
                model.Parameters[i] = original;
                var numeric = (plus - minus) / (2 * h);
                var analytic = model.Gradients[i];
                Assert.True(Math.Abs(numeric - analytic) <= 1e-8 + 1e-5 * Math.Abs(analytic),
                    $"{tensor.Name}[{i - tensor.Range.Offset}]: analytic {analytic:E6}, numeric {numeric:E6}");
            }
        }

        double ReadOut()
        {
            model.Forward(tokens, null, b, t);
            var sum = 0.0;
            for (var j = 0; j < dHidden.Length; j++)
                sum += dHidden[j] * model.HiddenStates[j];
            return sum;
        }
    }

    private static double[] Spread(float[] dHidden)
    {
        var full = new double[B * T * Config.Channels];
        for (var i = 0; i < HeadRows.Length; i++)
        {
            for (var j = 0; j < Config.Channels; j++)
                full[HeadRows[i] * Config.Channels + j] = dHidden[i * Config.Channels + j];
        }

        return full;
    }
}
