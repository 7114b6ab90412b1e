using FhirRisk.Model.Gpt;

namespace FhirRisk.Model.Tests.Gpt;

public sealed class GptParametersTests
{
    private static readonly GptConfig Config = new(VocabSize: 37, Layers: 2, Heads: 2, Channels: 16, ContextLength: 7);

    [Fact]
    public void Layout_CountMatchesGpt2Formula()
    {
        // Vp·C + T·C + L·(12C² + 4C) + 2C = 64·16 + 7·16 + 2·(3072 + 64) + 32.
        var layout = new GptLayout(Config);
        Assert.Equal(1024 + 112 + 2 * 3136 + 32, layout.Count);
        Assert.Equal(layout.Count, layout.Tensors.Sum(t => t.Range.Length));
    }

    [Fact]
    public void Layout_NamesShapesAndOffsets_FollowPyTorchOrder()
    {
        var layout = new GptLayout(Config);
        string[] block = ["ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_proj.weight", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_proj.weight"];
        var expectedNames = new[] { "transformer.wte.weight", "transformer.wpe.weight" }
            .Concat(Enumerable.Range(0, 2).SelectMany(l => block.Select(name => $"transformer.h.{l}.{name}")))
            .Concat(["transformer.ln_f.weight", "transformer.ln_f.bias"]);
        Assert.Equal(expectedNames, layout.Tensors.Select(t => t.Name));

        var offset = 0;
        foreach (var tensor in layout.Tensors)
        {
            Assert.Equal(offset, tensor.Range.Offset);
            Assert.Equal(tensor.Shape.Aggregate(1, (a, b) => a * b), tensor.Range.Length);
            offset = tensor.Range.End;
        }

        var shapes = layout.Tensors.ToDictionary(t => t.Name, t => t.Shape.ToArray());
        Assert.Equal([64, 16], shapes["transformer.wte.weight"]);
        Assert.Equal([7, 16], shapes["transformer.wpe.weight"]);
        Assert.Equal([48, 16], shapes["transformer.h.1.attn.c_attn.weight"]);
        Assert.Equal([16, 16], shapes["transformer.h.1.attn.c_proj.weight"]);
        Assert.Equal([64, 16], shapes["transformer.h.1.mlp.c_fc.weight"]);
        Assert.Equal([16, 64], shapes["transformer.h.1.mlp.c_proj.weight"]);
        Assert.Equal([16], shapes["transformer.ln_f.bias"]);
        Assert.Equal(layout.Blocks[1].FcProjWeight, layout.Tensors.Single(t => t.Name == "transformer.h.1.mlp.c_proj.weight").Range);
    }

    [Fact]
    public void DecayMask_CoversExactlyTheTwoDimensionalTensors()
    {
        var layout = new GptLayout(Config);
        var mask = layout.CreateDecayMask();
        foreach (var tensor in layout.Tensors)
        {
            var decays = tensor.Name.EndsWith("wte.weight") || tensor.Name.EndsWith("wpe.weight") || tensor.Name.Contains(".c_");
            Assert.Equal(decays, mask.Decays(tensor.Range.Offset));
            Assert.Equal(decays, mask.Decays(tensor.Range.End - 1));
        }
    }

    [Fact]
    public void Initialize_FollowsGpt2Scheme()
    {
        var config = Config with { Channels = 64, Layers = 8 };
        var parameters = GptParameters.Initialize(config, seed: 7);
        var values = parameters.Values;
        var layout = parameters.Layout;
        var block = layout.Blocks[3];

        Assert.Equal(0.02, Std(values.AsSpan(block.FcWeight.Offset, block.FcWeight.Length)), 0.001);
        Assert.Equal(0.02 / 4, Std(values.AsSpan(block.FcProjWeight.Offset, block.FcProjWeight.Length)), 0.0003);
        Assert.Equal(0.02 / 4, Std(values.AsSpan(block.AttnProjWeight.Offset, block.AttnProjWeight.Length)), 0.0003);
        Assert.Equal(0.02, Std(values.AsSpan(layout.Wte.Offset, config.VocabSize * config.Channels)), 0.0015);
        Assert.All(values.AsSpan(layout.Wte.Offset + config.VocabSize * config.Channels, (config.PaddedVocabSize - config.VocabSize) * config.Channels).ToArray(), v => Assert.Equal(0f, v));
        Assert.All(values.AsSpan(block.Ln2Weight.Offset, block.Ln2Weight.Length).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(values.AsSpan(layout.LnFBias.Offset, layout.LnFBias.Length).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Initialize_IsAPureFunctionOfTheSeed()
    {
        Assert.Equal(GptParameters.Initialize(Config, 1).Values, GptParameters.Initialize(Config, 1).Values);
        Assert.NotEqual(GptParameters.Initialize(Config, 1).Values, GptParameters.Initialize(Config, 2).Values);
    }

    private static double Std(ReadOnlySpan<float> x)
    {
        var (sum, sumSquares) = (0.0, 0.0);
        foreach (var v in x)
        {
            sum += v;
            sumSquares += (double)v * v;
        }

        var mean = sum / x.Length;
        return Math.Sqrt(sumSquares / x.Length - mean * mean);
    }
}
