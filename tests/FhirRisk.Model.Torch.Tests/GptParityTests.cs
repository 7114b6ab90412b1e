using FhirRisk.Model.Compute;
using FhirRisk.Model.Gpt;
using Xunit.Abstractions;
using static FhirRisk.Model.Torch.Tests.Conformance;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Model.Torch.Tests;

/// <summary>
/// The whole GPT on the Torch backend against the CPU backend (issue 4's parity test): same weights, batch and dropout
/// key give the same loss, logits and every gradient, and 20 AdamW steps (clipped, with dropout) follow the same loss
/// curve.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class GptParityTests(TorchFixture fixture, ITestOutputHelper output)
{
    // V = 37 (Vp = 64) exercises the padded vocabulary; T = 13 and C = 24 are odd sizes; dropout exercises the masks.
    private static readonly GptConfig Config = new(VocabSize: 37, Layers: 2, Heads: 3, Channels: 24, ContextLength: 16, Dropout: 0.1f);
    private const int B = 3, T = 13;

    [TorchFact]
    public void ForwardBackward_LossLogitsAndEveryGradient_MatchCpu()
    {
        var (tokens, targets) = Batch(seed: 1);
        var key = new DropoutKey(Seed: 9, Step: 4);

        (float Loss, float[] Logits, float[] Gradients) Run(IComputeBackend backend)
        {
            using var model = new GptModel(GptParameters.Initialize(Config, seed: 3), maxBatch: 4, backend);
            var loss = model.Forward(tokens, targets, B, T, key)!.Value;
            var logits = model.ReadLogits();
            model.ZeroGradients();
            model.Backward();
            return (loss, logits, model.Gradients.ToArray());
        }

        var (cpu, torch) = (Run(fixture.Cpu), Run(fixture.Torch));
        output.WriteLine($"loss: cpu {cpu.Loss:R}, torch {torch.Loss:R}");
        Assert.Equal(cpu.Loss, torch.Loss, 1e-5 * cpu.Loss);
        // Measured max abs diffs: logits 9e-8, gradients ≤ 3e-8 (they are ~1e-3 at this init); ≥ 7× margin.
        AssertClose(output, "logits", cpu.Logits, torch.Logits, atol: 1e-6, rtol: 1e-5);
        foreach (var tensor in GptParameters.Initialize(Config, seed: 3).Layout.Tensors)
        {
            var range = tensor.Range;
            AssertClose(output, tensor.Name, cpu.Gradients[range.Offset..range.End], torch.Gradients[range.Offset..range.End], atol: 2e-7, rtol: 1e-4);
        }
    }

    [TorchFact]
    public void TwentyAdamWSteps_FollowTheCpuLossCurve()
    {
        float[] Train(IComputeBackend backend)
        {
            using var model = new GptModel(GptParameters.Initialize(Config, seed: 5), maxBatch: B, backend);
            using var optimizer = new GptOptimizer(model, new AdamWSettings(MaxGradientNorm: 1f));
            var losses = new float[20];
            for (var step = 0; step < losses.Length; step++)
            {
                var (tokens, targets) = Batch(seed: 100 + step % 4);
                losses[step] = model.Forward(tokens, targets, B, T, new DropoutKey(Seed: 7, Step: step))!.Value;
                model.ZeroGradients();
                model.Backward();
                optimizer.Step(learningRate: 3e-3);
            }

            return losses;
        }

        var (cpu, torch) = (Train(fixture.Cpu), Train(fixture.Torch));
        output.WriteLine($"cpu:   {string.Join(' ', cpu.Select(l => l.ToString("F5")))}");
        output.WriteLine($"torch: {string.Join(' ', torch.Select(l => l.ToString("F5")))}");
        // Measured: at most 2.4e-7 apart (7e-8 relative) after 20 steps.
        AssertClose(output, "losses", cpu, torch, atol: 0, rtol: 1e-5);
        Assert.True(cpu[^1] < cpu[0] - 0.1f, $"the curve should fall: {cpu[0]} → {cpu[^1]}");
    }

    /// <summary>(B, T) tokens and next-token targets with a few rows ignored.</summary>
    private static (int[] Tokens, int[] Targets) Batch(int seed)
    {
        var sequence = Ids(seed, B * (T + 1), Config.VocabSize);
        var (tokens, targets) = (new int[B * T], new int[B * T]);
        for (var b = 0; b < B; b++)
        {
            for (var t = 0; t < T; t++)
            {
                tokens[b * T + t] = sequence[b * (T + 1) + t];
                targets[b * T + t] = (b * T + t) % 7 == 2 ? -100 : sequence[b * (T + 1) + t + 1];
            }
        }

        return (tokens, targets);
    }
}
