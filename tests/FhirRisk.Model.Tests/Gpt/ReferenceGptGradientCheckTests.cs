using FhirRisk.Model.Gpt;
using FhirRisk.Model.Gpt.Reference;
using FhirRisk.Model.Tests.Cpu.Kernels;
using Xunit.Abstractions;

namespace FhirRisk.Model.Tests.Gpt;

public sealed class ReferenceGptGradientCheckTests(ITestOutputHelper output)
{
    [Fact]
    public void Backward_MatchesCentralDifferencesOfTheLoss()
    {
        // Arrange: a tiny model with weights uniform in ±0.3 (larger than GPT-2's init, so the nonlinearities are
        // exercised), V = 11 (Vp = 64), two blocks, one target ignored.
        var config = new GptConfig(VocabSize: 11, Layers: 2, Heads: 2, Channels: 8, ContextLength: 5);
        var layout = new GptLayout(config);
        var model = new ReferenceGpt<double>(layout, LayerTestTensors.ToDouble(LayerTestTensors.Random(3, layout.Count, 0.3f)));
        var (b, t) = (2, 5);
        var tokens = GptTestBatches.Tokens(1, b * t, config.VocabSize);
        var targets = GptTestBatches.Targets(2, b * t, config.VocabSize);
        model.Forward(tokens, targets, b, t);
        model.Backward();
        var random = new Random(4);

        // Act / Assert: four random elements of every tensor (wte from its real rows). With h = 1e-5 the central
        // difference's truncation error is O(h²·f''') ≈ 1e-10 and its rounding error ≈ ε·|loss|/h ≈ 1e-10, so a
        // tolerance of 1e-8 + 1e-5·|g| leaves two orders of margin while catching any wrong term.
        const double h = 1e-5;
        var worst = 0.0;
        foreach (var tensor in layout.Tensors)
        {
            var length = tensor.Range == layout.Wte ? config.VocabSize * config.Channels : tensor.Range.Length;
            for (var sample = 0; sample < 4; sample++)
            {
                var i = tensor.Range.Offset + random.Next(length);
                var original = model.Parameters[i];
                model.Parameters[i] = original + h;
                var plus = model.Forward(tokens, targets, b, t);
                model.Parameters[i] = original - h;
                var minus = model.Forward(tokens, targets, b, t);
                model.Parameters[i] = original;

                var numeric = (plus - minus) / (2 * h);
                var analytic = model.Gradients[i];
                worst = Math.Max(worst, Math.Abs(numeric - analytic));
                Assert.True(Math.Abs(numeric - analytic) <= 1e-8 + 1e-5 * Math.Abs(analytic),
                    $"{tensor.Name}[{i - tensor.Range.Offset}]: analytic {analytic:E6}, numeric {numeric:E6}");
            }
        }

        output.WriteLine($"max |numeric − analytic| = {worst:E2}");
    }
}
