using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;
using FhirRisk.Testing;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Model.Tests.Gpt;

/// <summary>
/// Issue 4's acceptance against PyTorch: the fixture written by tools/reference/gpt_reference.py (PyTorch 1.13, same
/// architecture and parameter names) holds parameters, a batch, the logits, the loss, every gradient and the losses of
/// 10 AdamW steps. Our GPT, loaded with those parameters, must give the loss within 1e-5 relative and every gradient
/// within 1e-4 (absolute; the largest gradient is ≈ 0.2).
/// </summary>
public sealed class PyTorchParityTests
{
    private const int B = 3;
    private const int T = 8;
    private static readonly string Fixture = RepositoryPaths.Combine("tools", "reference", "fixtures", "gpt-tiny.safetensors");
    private static readonly GptConfig Config = new(VocabSize: 37, Layers: 2, Heads: 2, Channels: 16, ContextLength: T);

    [Fact]
    public void ForwardBackward_MatchesPyTorch()
    {
        using var fixture = SafeTensorsReader.Open(Fixture);
        var (model, tokens, targets) = Load(fixture);

        var loss = model.Forward(tokens, targets, B, T)!.Value;
        var expectedLoss = Assert.Single(fixture.ReadArray<float>("output/loss"));
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * Math.Abs(expectedLoss), $"loss {loss} vs PyTorch {expectedLoss}");
        AssertClose(fixture.ReadArray<float>("output/logits"), model.ReadLogits(), 1e-4, "logits");

        model.ZeroGradients();
        model.Backward();
        var gradients = model.Gradients.ToArray();
        foreach (var tensor in model.Parameters.Layout.Tensors)
        {
            var ours = gradients.AsSpan(tensor.Range.Offset, tensor.Range.Length);
            AssertClose(fixture.ReadArray<float>("grad/" + tensor.Name), ours, 1e-4, "grad/" + tensor.Name);
        }
    }

    [Fact]
    public void AdamWSteps_FollowPyTorchLossCurve()
    {
        using var fixture = SafeTensorsReader.Open(Fixture);
        var (model, tokens, targets) = Load(fixture);
        var expected = fixture.ReadArray<float>("adamw/losses");
        var optimizer = new GptOptimizer(model, new AdamWSettings(Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, MaxGradientNorm: float.PositiveInfinity));

        model.Forward(tokens, targets, B, T);
        for (var step = 1; step <= expected.Length; step++)
        {
            model.ZeroGradients();
            model.Backward();
            optimizer.Step(learningRate: 1e-3);
            var loss = model.Forward(tokens, targets, B, T)!.Value;
            Assert.True(Math.Abs(loss - expected[step - 1]) <= 1e-5 * Math.Abs(expected[step - 1]),
                $"step {step}: loss {loss} vs PyTorch {expected[step - 1]}");
        }
    }

    private static (GptModel Model, int[] Tokens, int[] Targets) Load(SafeTensorsReader fixture)
    {
        var layout = new GptLayout(Config);
        var values = new float[layout.Count];
        foreach (var tensor in layout.Tensors)
            fixture.Read<float>("param/" + tensor.Name, values.AsSpan(tensor.Range.Offset, tensor.Range.Length));
        var tokens = fixture.ReadArray<long>("input/tokens").Select(t => (int)t).ToArray();
        var targets = fixture.ReadArray<long>("input/targets").Select(t => (int)t).ToArray();
        return (new GptModel(new GptParameters(layout, values), maxBatch: B, ComputeOptions.SingleThreaded), tokens, targets);
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.True(worst <= tolerance, $"{what}: max |difference| {worst:E2} > {tolerance:E0}");
    }
}
