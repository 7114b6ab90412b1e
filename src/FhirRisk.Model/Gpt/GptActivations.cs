using FhirRisk.Model.Compute;

namespace FhirRisk.Model.Gpt;

/// <summary>
/// Every activation a forward pass saves for the backward pass, and the backward pass's scratch, allocated once for
/// the largest batch (maxB·maxT rows). A call with N = B·T rows uses the first N rows of each buffer; per-layer
/// buffers hold L such regions, one per block, <see cref="RowsCapacity"/> rows apart. Every buffer lives in the
/// backend's memory.
/// </summary>
internal sealed class GptActivations : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly int _channels;
    private readonly IComputeBackend _backend;

    public GptActivations(GptConfig config, int maxBatch, IComputeBackend backend)
    {
        var (l, c, nh) = (config.Layers, config.Channels, config.Heads);
        var rows = RowsCapacity = checked(maxBatch * config.ContextLength);
        _channels = c;
        _backend = backend;
        Tokens = Ints(rows);
        Targets = Ints(rows);
        HiddenRows = Ints(rows);
        Encoded = Floats(rows * c);
        Ln1 = Floats(checked(l * rows * c));
        Ln1Mean = Floats(l * rows);
        Ln1Rstd = Floats(l * rows);
        Qkv = Floats(checked(l * rows * 3 * c));
        Atty = Floats(checked(l * rows * c));
        AttStats = Floats(checked(l * rows * nh));
        Residual2 = Floats(checked(l * rows * c));
        Ln2 = Floats(checked(l * rows * c));
        Ln2Mean = Floats(l * rows);
        Ln2Rstd = Floats(l * rows);
        Fch = Floats(checked(l * rows * 4 * c));
        FchGelu = Floats(checked(l * rows * 4 * c));
        Residual3 = Floats(checked(l * rows * c));
        Projection = Floats(rows * c);
        LnF = Floats(rows * c);
        LnFMean = Floats(rows);
        LnFRstd = Floats(rows);
        Logits = Floats(checked(rows * config.PaddedVocabSize));
        Losses = Floats(rows);
        DResidual = Floats(rows * c);
        DNormed = Floats(rows * c);
        DDropout = Floats(rows * c);
        DQkv = Floats(rows * 3 * c);
        DFch = Floats(rows * 4 * c);
        DFchGelu = Floats(rows * 4 * c);
    }

    /// <summary>The 4-byte elements (floats and ints) the constructor allocates for <paramref name="config"/> and
    /// <paramref name="maxBatch"/>, without allocating them: L·N·(16C + 4 + NH) per layer, N·(17C + Vp + 6) shared
    /// (N = maxB·maxT rows).</summary>
    public static long ElementsFor(GptConfig config, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(config);
        var (l, c, nh, rows) = ((long)config.Layers, (long)config.Channels, (long)config.Heads, (long)maxBatch * config.ContextLength);
        var perLayer = l * rows * ((16 * c) + 4 + nh);
        var shared = rows * ((17 * c) + config.PaddedVocabSize + 6);
        return perLayer + shared;
    }

    /// <summary>The 4-byte elements this instance allocated (<see cref="ElementsFor"/> of its config and batch).</summary>
    public long Elements => _owned.Sum(b => b switch
    {
        DeviceBuffer<float> f => f.Length,
        DeviceBuffer<int> i => i.Length,
        _ => 0L,
    });

    /// <summary>maxB·maxT, the rows every buffer has room for.</summary>
    public int RowsCapacity { get; }

    /// <summary>(N) the last forward pass's token ids, kept for the embedding backward.</summary>
    public DeviceBuffer<int> Tokens { get; }

    /// <summary>(N) the last forward pass's targets, kept for the loss backward.</summary>
    public DeviceBuffer<int> Targets { get; }

    /// <summary>(rows) the rows a <see cref="Gpt.BackwardHidden"/> call sends a gradient to.</summary>
    public DeviceBuffer<int> HiddenRows { get; }

    /// <summary>(N, C) token + position embeddings, after dropout: the residual stream entering block 0.</summary>
    public DeviceBuffer<float> Encoded { get; }

    /// <summary>(L, N, C) ln_1 outputs.</summary>
    public DeviceBuffer<float> Ln1 { get; }

    /// <summary>(L, N) ln_1 row means.</summary>
    public DeviceBuffer<float> Ln1Mean { get; }

    /// <summary>(L, N) ln_1 reciprocal standard deviations.</summary>
    public DeviceBuffer<float> Ln1Rstd { get; }

    /// <summary>(L, N, 3C) queries, keys and values.</summary>
    public DeviceBuffer<float> Qkv { get; }

    /// <summary>(L, N, C) attention outputs (heads concatenated), the input of attn.c_proj.</summary>
    public DeviceBuffer<float> Atty { get; }

    /// <summary>(L, B, NH, T) attention log-sum-exp statistics.</summary>
    public DeviceBuffer<float> AttStats { get; }

    /// <summary>(L, N, C) residual stream after the attention branch.</summary>
    public DeviceBuffer<float> Residual2 { get; }

    /// <summary>(L, N, C) ln_2 outputs.</summary>
    public DeviceBuffer<float> Ln2 { get; }

    /// <summary>(L, N) ln_2 row means.</summary>
    public DeviceBuffer<float> Ln2Mean { get; }

    /// <summary>(L, N) ln_2 reciprocal standard deviations.</summary>
    public DeviceBuffer<float> Ln2Rstd { get; }

    /// <summary>(L, N, 4C) mlp.c_fc outputs (GELU inputs).</summary>
    public DeviceBuffer<float> Fch { get; }

    /// <summary>(L, N, 4C) GELU outputs, the input of mlp.c_proj.</summary>
    public DeviceBuffer<float> FchGelu { get; }

    /// <summary>(L, N, C) residual stream after the MLP branch: the block's output.</summary>
    public DeviceBuffer<float> Residual3 { get; }

    /// <summary>(N, C) scratch for a projection's output before it joins the residual stream (the backward pass
    /// does not need it).</summary>
    public DeviceBuffer<float> Projection { get; }

    /// <summary>(N, C) ln_f outputs: the hidden states.</summary>
    public DeviceBuffer<float> LnF { get; }

    /// <summary>(N) ln_f row means.</summary>
    public DeviceBuffer<float> LnFMean { get; }

    /// <summary>(N) ln_f reciprocal standard deviations.</summary>
    public DeviceBuffer<float> LnFRstd { get; }

    /// <summary>(N, Vp) logits; the backward pass overwrites them with their gradient.</summary>
    public DeviceBuffer<float> Logits { get; }

    /// <summary>(N) per-row losses.</summary>
    public DeviceBuffer<float> Losses { get; }

    /// <summary>(N, C) gradient of the residual stream, carried down through the blocks.</summary>
    public DeviceBuffer<float> DResidual { get; }

    /// <summary>(N, C) gradient of a LayerNorm output, or of the attention output.</summary>
    public DeviceBuffer<float> DNormed { get; }

    /// <summary>(N, C) gradient of a dropout site's input.</summary>
    public DeviceBuffer<float> DDropout { get; }

    /// <summary>(N, 3C) gradient of qkv.</summary>
    public DeviceBuffer<float> DQkv { get; }

    /// <summary>(N, 4C) gradient of the GELU input.</summary>
    public DeviceBuffer<float> DFch { get; }

    /// <summary>(N, 4C) gradient of the GELU output.</summary>
    public DeviceBuffer<float> DFchGelu { get; }

    /// <summary>The first <paramref name="rows"/> rows of a (N, width) buffer.</summary>
    public static DeviceView<T> Rows<T>(DeviceBuffer<T> buffer, int rows, int width)
        where T : unmanaged => buffer.View(0, rows * width);

    /// <summary>Block <paramref name="layer"/>'s first <paramref name="rows"/> rows of a per-layer (L, N, width) buffer.</summary>
    public DeviceView<float> Layer(DeviceBuffer<float> buffer, int layer, int rows, int width = 1) =>
        buffer.View((long)layer * RowsCapacity * width, rows * width);

    /// <summary>Block <paramref name="layer"/>'s first <paramref name="rows"/> rows of a per-layer (L, N, C) buffer.</summary>
    public DeviceView<float> LayerC(DeviceBuffer<float> buffer, int layer, int rows) => Layer(buffer, layer, rows, _channels);

    /// <summary>Frees every buffer.</summary>
    public void Dispose()
    {
        foreach (var buffer in _owned)
            buffer.Dispose();
    }

    private DeviceBuffer<float> Floats(long length) => Own(_backend.Allocate(length));

    private DeviceBuffer<int> Ints(long length) => Own(_backend.AllocateInt(length));

    private DeviceBuffer<T> Own<T>(DeviceBuffer<T> buffer)
        where T : unmanaged
    {
        _owned.Add(buffer);
        return buffer;
    }
}
