namespace FhirRisk.Model.Gpt;

/// <summary>
/// Every activation a forward pass saves for the backward pass, and the backward pass's scratch, allocated once for
/// the largest batch (maxB·maxT rows). A call with N = B·T rows uses the first N rows of each buffer; per-layer
/// buffers hold L such regions, one per block, <see cref="RowsCapacity"/> rows apart.
/// </summary>
internal sealed class GptActivations
{
    private readonly int _channels;

    public GptActivations(GptConfig config, int maxBatch)
    {
        var (l, c, nh) = (config.Layers, config.Channels, config.Heads);
        var rows = RowsCapacity = checked(maxBatch * config.ContextLength);
        _channels = c;
        Tokens = new int[rows];
        Targets = new int[rows];
        Encoded = new float[rows * c];
        Ln1 = new float[checked(l * rows * c)];
        Ln1Mean = new float[l * rows];
        Ln1Rstd = new float[l * rows];
        Qkv = new float[checked(l * rows * 3 * c)];
        Atty = new float[checked(l * rows * c)];
        AttStats = new float[checked(l * rows * nh)];
        Residual2 = new float[checked(l * rows * c)];
        Ln2 = new float[checked(l * rows * c)];
        Ln2Mean = new float[l * rows];
        Ln2Rstd = new float[l * rows];
        Fch = new float[checked(l * rows * 4 * c)];
        FchGelu = new float[checked(l * rows * 4 * c)];
        Residual3 = new float[checked(l * rows * c)];
        Projection = new float[rows * c];
        LnF = new float[rows * c];
        LnFMean = new float[rows];
        LnFRstd = new float[rows];
        Logits = new float[checked(rows * config.PaddedVocabSize)];
        Losses = new float[rows];
        DResidual = new float[rows * c];
        DNormed = new float[rows * c];
        DDropout = new float[rows * c];
        DQkv = new float[rows * 3 * c];
        DFch = new float[rows * 4 * c];
        DFchGelu = new float[rows * 4 * c];
    }

    /// <summary>maxB·maxT, the rows every buffer has room for.</summary>
    public int RowsCapacity { get; }

    /// <summary>(N) the last forward pass's token ids, kept for the embedding backward.</summary>
    public int[] Tokens { get; }

    /// <summary>(N) the last forward pass's targets, kept for the loss backward.</summary>
    public int[] Targets { get; }

    /// <summary>(N, C) token + position embeddings, after dropout: the residual stream entering block 0.</summary>
    public float[] Encoded { get; }

    /// <summary>(L, N, C) ln_1 outputs.</summary>
    public float[] Ln1 { get; }

    /// <summary>(L, N) ln_1 row means.</summary>
    public float[] Ln1Mean { get; }

    /// <summary>(L, N) ln_1 reciprocal standard deviations.</summary>
    public float[] Ln1Rstd { get; }

    /// <summary>(L, N, 3C) queries, keys and values.</summary>
    public float[] Qkv { get; }

    /// <summary>(L, N, C) attention outputs (heads concatenated), the input of attn.c_proj.</summary>
    public float[] Atty { get; }

    /// <summary>(L, B, NH, T) attention log-sum-exp statistics.</summary>
    public float[] AttStats { get; }

    /// <summary>(L, N, C) residual stream after the attention branch.</summary>
    public float[] Residual2 { get; }

    /// <summary>(L, N, C) ln_2 outputs.</summary>
    public float[] Ln2 { get; }

    /// <summary>(L, N) ln_2 row means.</summary>
    public float[] Ln2Mean { get; }

    /// <summary>(L, N) ln_2 reciprocal standard deviations.</summary>
    public float[] Ln2Rstd { get; }

    /// <summary>(L, N, 4C) mlp.c_fc outputs (GELU inputs).</summary>
    public float[] Fch { get; }

    /// <summary>(L, N, 4C) GELU outputs, the input of mlp.c_proj.</summary>
    public float[] FchGelu { get; }

    /// <summary>(L, N, C) residual stream after the MLP branch: the block's output.</summary>
    public float[] Residual3 { get; }

    /// <summary>(N, C) scratch for a projection's output before it joins the residual stream (the backward pass
    /// does not need it).</summary>
    public float[] Projection { get; }

    /// <summary>(N, C) ln_f outputs: the hidden states.</summary>
    public float[] LnF { get; }

    /// <summary>(N) ln_f row means.</summary>
    public float[] LnFMean { get; }

    /// <summary>(N) ln_f reciprocal standard deviations.</summary>
    public float[] LnFRstd { get; }

    /// <summary>(N, Vp) logits; the backward pass overwrites them with their gradient.</summary>
    public float[] Logits { get; }

    /// <summary>(N) per-row losses.</summary>
    public float[] Losses { get; }

    /// <summary>(N, C) gradient of the residual stream, carried down through the blocks.</summary>
    public float[] DResidual { get; }

    /// <summary>(N, C) gradient of a LayerNorm output, or of the attention output.</summary>
    public float[] DNormed { get; }

    /// <summary>(N, C) gradient of a dropout site's input.</summary>
    public float[] DDropout { get; }

    /// <summary>(N, 3C) gradient of qkv.</summary>
    public float[] DQkv { get; }

    /// <summary>(N, 4C) gradient of the GELU input.</summary>
    public float[] DFch { get; }

    /// <summary>(N, 4C) gradient of the GELU output.</summary>
    public float[] DFchGelu { get; }

    /// <summary>The first <paramref name="rows"/> rows of a (N, width) buffer.</summary>
    public static Span<float> Rows(float[] buffer, int rows, int width) => buffer.AsSpan(0, rows * width);

    /// <summary>Block <paramref name="layer"/>'s first <paramref name="rows"/> rows of a per-layer (L, N, width) buffer.</summary>
    public Span<float> Layer(float[] buffer, int layer, int rows, int width = 1) =>
        buffer.AsSpan(layer * RowsCapacity * width, rows * width);

    /// <summary>Block <paramref name="layer"/>'s first <paramref name="rows"/> rows of a per-layer (L, N, C) buffer.</summary>
    public Span<float> LayerC(float[] buffer, int layer, int rows) => Layer(buffer, layer, rows, _channels);
}
