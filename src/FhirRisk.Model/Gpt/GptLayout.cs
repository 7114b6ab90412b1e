using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Gpt;

/// <summary>
/// The named views of the one flat parameter buffer (and of the gradient and optimizer buffers, which share it), in
/// llm.c's spirit: parameters are a single allocation, and each tensor is a range of it.
/// </summary>
/// <remarks>
/// Order and PyTorch names (the safetensors keys; nanoGPT's <c>GPT</c> state dict without the tied
/// <c>lm_head.weight</c>), with Vp the padded vocabulary, T the context length and C the channels:
/// <list type="table">
/// <listheader><term>name</term><description>shape</description></listheader>
/// <item><term><c>transformer.wte.weight</c></term><description>[Vp, C]; also the output projection (tied)</description></item>
/// <item><term><c>transformer.wpe.weight</c></term><description>[T, C]</description></item>
/// <item><term><c>transformer.h.{l}.ln_1.weight</c>, <c>.ln_1.bias</c></term><description>[C], [C]</description></item>
/// <item><term><c>transformer.h.{l}.attn.c_attn.weight</c></term><description>[3C, C]</description></item>
/// <item><term><c>transformer.h.{l}.attn.c_proj.weight</c></term><description>[C, C]</description></item>
/// <item><term><c>transformer.h.{l}.ln_2.weight</c>, <c>.ln_2.bias</c></term><description>[C], [C]</description></item>
/// <item><term><c>transformer.h.{l}.mlp.c_fc.weight</c></term><description>[4C, C]</description></item>
/// <item><term><c>transformer.h.{l}.mlp.c_proj.weight</c></term><description>[C, 4C]</description></item>
/// <item><term><c>transformer.ln_f.weight</c>, <c>transformer.ln_f.bias</c></term><description>[C], [C]</description></item>
/// </list>
/// The block rows repeat for l = 0..L−1, in that order. Total: Vp·C + T·C + L·(12C² + 4C) + 2C.
/// </remarks>
public sealed class GptLayout
{
    private readonly List<ParameterTensor> _tensors = [];

    /// <summary>Lays out the tensors of <paramref name="config"/>, which is validated first.</summary>
    /// <param name="config">The model shape.</param>
    public GptLayout(GptConfig config)
    {
        Config = config.Validate();
        var (vp, c) = (config.PaddedVocabSize, config.Channels);
        Wte = Add("transformer.wte.weight", vp, c);
        Wpe = Add("transformer.wpe.weight", config.ContextLength, c);
        var blocks = new BlockLayout[config.Layers];
        for (var l = 0; l < blocks.Length; l++)
        {
            var prefix = $"transformer.h.{l}.";
            blocks[l] = new BlockLayout(
                Ln1Weight: Add(prefix + "ln_1.weight", c),
                Ln1Bias: Add(prefix + "ln_1.bias", c),
                AttnWeight: Add(prefix + "attn.c_attn.weight", 3 * c, c),
                AttnProjWeight: Add(prefix + "attn.c_proj.weight", c, c),
                Ln2Weight: Add(prefix + "ln_2.weight", c),
                Ln2Bias: Add(prefix + "ln_2.bias", c),
                FcWeight: Add(prefix + "mlp.c_fc.weight", 4 * c, c),
                FcProjWeight: Add(prefix + "mlp.c_proj.weight", c, 4 * c));
        }

        Blocks = blocks;
        LnFWeight = Add("transformer.ln_f.weight", c);
        LnFBias = Add("transformer.ln_f.bias", c);
    }

    /// <summary>The validated model shape.</summary>
    public GptConfig Config { get; }

    /// <summary>Every tensor, in buffer order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors => _tensors;

    /// <summary>Length of the flat buffer.</summary>
    public int Count { get; private set; }

    /// <summary>Token embedding (Vp, C), tied to the output projection.</summary>
    public ParameterRange Wte { get; }

    /// <summary>Position embedding (T, C).</summary>
    public ParameterRange Wpe { get; }

    /// <summary>The transformer blocks, first to last.</summary>
    public IReadOnlyList<BlockLayout> Blocks { get; }

    /// <summary>Final LayerNorm scale (C).</summary>
    public ParameterRange LnFWeight { get; }

    /// <summary>Final LayerNorm shift (C).</summary>
    public ParameterRange LnFBias { get; }

    /// <summary>The weight-decay mask for AdamW: the tensors whose <see cref="ParameterTensor.Decays"/> is set.</summary>
    public DecayMask CreateDecayMask() => new(Count, _tensors.Where(t => t.Decays).Select(t => t.Range));

    private ParameterRange Add(string name, params int[] shape)
    {
        var length = shape.Aggregate(1, (product, dimension) => product * dimension);
        var range = new ParameterRange(Count, length);
        _tensors.Add(new ParameterTensor(name, shape, range));
        Count += length;
        return range;
    }
}
