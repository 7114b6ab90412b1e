using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Gpt;

/// <summary>
/// Incremental inference for a <see cref="Gpt"/>'s weights (mamba's <c>step</c>, llm.c's inference loop with a cache):
/// a KV cache of <c>maxSequences</c> slots, each holding one sequence of up to <see cref="GptConfig.ContextLength"/>
/// tokens, and a <c>Step</c> that feeds the next tokens of any subset of them — one each, or several (a prefill) —
/// and returns the logits after each one's last. The sequences of a batch are ragged: each has its own length and so
/// its own position, and they join (a free slot, length 0) and leave (<see cref="Reset"/>) independently, so rollouts
/// of different lengths share one batch.
/// </summary>
/// <remarks>
/// <para>
/// A step runs only the fed rows (tokens) through the same kernels as <see cref="Gpt.Forward(ReadOnlySpan{int}, int, int, DropoutKey?)"/>,
/// so teacher-forced steps reproduce its logits position by position; there is no dropout (inference). Only attention
/// reads the past, through <see cref="DecodeAttention"/>'s row form: each row writes its keys and values to its slot's
/// cache at its position, then attends over its slot up to that position. Other slots are neither written nor read.
/// </para>
/// <para>Not thread-safe: one step at a time; the kernels parallelise inside. Memory: 2·L·S·maxT·C cache floats plus
/// activations for <see cref="MaxRows"/> rows, allocated once.</para>
/// </remarks>
public sealed class GptDecoder : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private readonly DeviceBuffer<float>[] _kCache;
    private readonly DeviceBuffer<float>[] _vCache;
    private readonly int[] _lengths;

    // Step scratch on the backend, sized for MaxRows rows (row i = the i-th token fed) and, for the logits, S slots.
    private readonly DeviceBuffer<int> _tokenRows;
    private readonly DeviceBuffer<int> _positionRows;
    private readonly DeviceBuffer<float> _residual;
    private readonly DeviceBuffer<float> _normed;
    private readonly DeviceBuffer<float> _mean;
    private readonly DeviceBuffer<float> _rstd;
    private readonly DeviceBuffer<float> _qkv;
    private readonly DeviceBuffer<float> _attention;
    private readonly DeviceBuffer<float> _fch;
    private readonly DeviceBuffer<float> _projection;
    private readonly DeviceBuffer<float> _logits;

    // Ragged-step scratch: each row's slot, and the last row of each stepped slot gathered for the logits.
    private readonly int[] _rowSlots;
    private readonly int[] _rowPositions;
    private readonly int[] _lastRows;
    private readonly DeviceBuffer<int> _rowSlotBuffer;
    private readonly DeviceBuffer<int> _lastRowBuffer;
    private readonly DeviceBuffer<float> _lastResidual;

    /// <summary>Allocates an empty cache (every slot free) on the CPU backend for <paramref name="parameters"/>, used
    /// in place.</summary>
    /// <param name="parameters">The weights.</param>
    /// <param name="maxSequences">S, the slots: the most sequences decoded at once.</param>
    /// <param name="options">Thread budget for every kernel; <see cref="ComputeOptions.Default"/> when null.</param>
    public GptDecoder(GptParameters parameters, int maxSequences, ComputeOptions? options = null)
        : this(parameters, maxSequences, new CpuBackend(options))
    {
    }

    /// <summary>Allocates an empty cache (every slot free) on <paramref name="backend"/>.</summary>
    /// <param name="parameters">The weights: used in place on the CPU backend, uploaded to any other.</param>
    /// <param name="maxSequences">S, the slots: the most sequences decoded at once.</param>
    /// <param name="backend">Where the cache lives and the kernels run; the decoder does not own it.</param>
    /// <param name="maxRows">The most tokens one ragged <see cref="Step(ReadOnlySpan{int}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/>
    /// feeds, over all its slots (at least <paramref name="maxSequences"/>, the default): activations are allocated for
    /// this many rows.</param>
    public GptDecoder(GptParameters parameters, int maxSequences, IComputeBackend backend, int? maxRows = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequences, 1);
        var rows = maxRows ?? maxSequences;
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, maxSequences, nameof(maxRows));
        if ((long)rows * 4 * parameters.Config.Channels > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(maxRows), $"{rows} rows × 4C exceed one array.");
        var config = parameters.Config;
        var (c, maxT) = (config.Channels, config.ContextLength);
        var cache = (long)maxSequences * maxT * c;
        if (cache > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(maxSequences), $"{maxSequences} slots × {maxT} positions × {c} channels exceed one array.");
        Parameters = parameters;
        Backend = backend;
        MaxSequences = maxSequences;
        MaxRows = rows;
        Weights = Own(WeightBuffer.For(parameters, backend));
        _kCache = new DeviceBuffer<float>[config.Layers];
        _vCache = new DeviceBuffer<float>[config.Layers];
        for (var l = 0; l < config.Layers; l++)
        {
            _kCache[l] = Own(backend.Allocate(cache));
            _vCache[l] = Own(backend.Allocate(cache));
        }

        _lengths = new int[maxSequences];
        _tokenRows = Own(backend.AllocateInt(rows));
        _positionRows = Own(backend.AllocateInt(rows));
        _residual = Own(backend.Allocate((long)rows * c));
        _normed = Own(backend.Allocate((long)rows * c));
        _mean = Own(backend.Allocate(rows));
        _rstd = Own(backend.Allocate(rows));
        _qkv = Own(backend.Allocate((long)rows * 3 * c));
        _attention = Own(backend.Allocate((long)rows * c));
        _fch = Own(backend.Allocate((long)rows * 4 * c));
        _projection = Own(backend.Allocate((long)rows * c));
        _logits = Own(backend.Allocate((long)maxSequences * config.PaddedVocabSize));
        _rowSlots = new int[rows];
        _rowPositions = new int[rows];
        _lastRows = new int[maxSequences];
        _rowSlotBuffer = Own(backend.AllocateInt(rows));
        _lastRowBuffer = Own(backend.AllocateInt(maxSequences));
        _lastResidual = Own(backend.Allocate(maxSequences * c));
    }

    /// <summary>The model shape.</summary>
    public GptConfig Config => Parameters.Config;

    /// <summary>The weights (host copy).</summary>
    public GptParameters Parameters { get; }

    /// <summary>The backend the decoder runs on.</summary>
    public IComputeBackend Backend { get; }

    /// <summary>(P) the weights in the backend's memory.</summary>
    public DeviceBuffer<float> Weights { get; }

    /// <summary>S, the number of slots.</summary>
    public int MaxSequences { get; }

    /// <summary>The most tokens one ragged step feeds, over all its slots.</summary>
    public int MaxRows { get; }

    /// <summary>The tokens held by a slot: the position its next token takes; 0 when the slot is free.</summary>
    /// <param name="slot">A slot in [0, S).</param>
    /// <returns>The slot's length, in 0..<see cref="GptConfig.ContextLength"/>.</returns>
    public int Length(int slot)
    {
        CheckSlot(slot, nameof(slot));
        return _lengths[slot];
    }

    /// <summary>Frees a slot: its sequence leaves, and the next <see cref="Step"/> on it starts a new one at position 0.</summary>
    /// <param name="slot">A slot in [0, S).</param>
    public void Reset(int slot)
    {
        CheckSlot(slot, nameof(slot));
        _lengths[slot] = 0;
    }

    /// <summary>
    /// Copies the first <paramref name="length"/> cached positions of <paramref name="source"/> into
    /// <paramref name="destination"/>, which then holds that prefix (its length becomes <paramref name="length"/>).
    /// Rollouts of one prompt share its prefill this way: a position's keys and values depend only on the tokens up
    /// to it, so a sibling's cache rows below the prompt length are the prompt's, however far the sibling has
    /// generated since.
    /// </summary>
    /// <param name="source">A slot holding at least <paramref name="length"/> positions.</param>
    /// <param name="destination">Another slot; whatever it held is overwritten.</param>
    /// <param name="length">Positions to copy, in 1..<see cref="Length"/>(source).</param>
    public void Fork(int source, int destination, int length)
    {
        CheckSlot(source, nameof(source));
        CheckSlot(destination, nameof(destination));
        if (source == destination)
            throw new ArgumentException($"Slot {source} cannot be forked onto itself.", nameof(destination));
        if (length < 1 || length > _lengths[source])
            throw new ArgumentOutOfRangeException(nameof(length), $"Slot {source} holds {_lengths[source]} positions; cannot copy {length}.");
        var (c, maxT) = (Config.Channels, Config.ContextLength);
        var count = length * c;
        for (var l = 0; l < Config.Layers; l++)
        {
            Backend.Copy(_kCache[l].View((long)source * maxT * c, count), _kCache[l].View((long)destination * maxT * c, count));
            Backend.Copy(_vCache[l].View((long)source * maxT * c, count), _vCache[l].View((long)destination * maxT * c, count));
        }
        _lengths[destination] = length;
    }

    /// <summary>
    /// Appends one token to each listed slot's sequence (at position <see cref="Length"/>, which then grows by one) and
    /// writes the logits for the next token of each. Slots not listed are untouched.
    /// </summary>
    /// <param name="slots">(n) distinct slots in [0, S), each shorter than the context length.</param>
    /// <param name="tokens">(n) the token ids, in [0, V), appended to the slots in the same order.</param>
    /// <param name="logits">(n, Vp) written, row i for slots[i]; columns V..Vp are padding.</param>
    public void Step(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        // The ragged step validates everything (one id per slot is Σ counts here) before any state changes.
        Span<int> ones = slots.Length <= 256 ? stackalloc int[slots.Length] : new int[slots.Length];
        ones.Fill(1);
        Step(slots, ones, tokens, logits);
    }

    /// <summary>
    /// Appends <c>counts[i]</c> tokens to slot <c>slots[i]</c>'s sequence in one pass — a prefill where a count is above
    /// one — and writes the logits after each slot's last new token. Every row (token) goes through the same kernels as
    /// in <see cref="Step(ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/>: its keys and values are written to its
    /// slot's cache at its position (<see cref="IComputeBackend.CacheWrite"/>), then it attends over its slot's positions
    /// up to its own (<see cref="IComputeBackend.CacheAttend"/>). On the CPU backend each row's arithmetic is the
    /// one-token step's, so a window read in one call gives the same bits as read one token per step.
    /// </summary>
    /// <param name="slots">(m) distinct slots in [0, S).</param>
    /// <param name="counts">(m) tokens per slot, each at least 1; a slot's length plus its count is at most the context
    /// length, and all counts together at most <see cref="MaxRows"/>.</param>
    /// <param name="tokens">(Σ counts) the token ids, slot by slot in the order of <paramref name="slots"/>.</param>
    /// <param name="logits">(m, Vp) written, row i for slots[i] after its last new token; columns V..Vp are padding.</param>
    public void Step(ReadOnlySpan<int> slots, ReadOnlySpan<int> counts, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        var n = CheckRaggedStep(slots, counts, tokens, logits);
        var (c, nh, vp, maxT) = (Config.Channels, Config.Heads, Config.PaddedVocabSize, Config.ContextLength);
        var m = slots.Length;
        var k = Backend;
        var weights = Weights;
        var layout = Parameters.Layout;
        for (int i = 0, row = 0; i < m; i++)
        {
            for (var j = 0; j < counts[i]; j++, row++)
                (_rowSlots[row], _rowPositions[row]) = (slots[i], _lengths[slots[i]] + j);
            _lastRows[i] = row - 1;
        }

        var (tokenRows, positionRows, rowSlots, lastRows) = (_tokenRows.View(0, n), _positionRows.View(0, n), _rowSlotBuffer.View(0, n), _lastRowBuffer.View(0, m));
        k.Upload(tokens, tokenRows);
        k.Upload<int>(_rowPositions.AsSpan(0, n), positionRows);
        k.Upload<int>(_rowSlots.AsSpan(0, n), rowSlots);
        k.Upload<int>(_lastRows.AsSpan(0, m), lastRows);

        var residual = _residual.View(0, n * c);
        var normed = _normed.View(0, n * c);
        var mean = _mean.View(0, n);
        var rstd = _rstd.View(0, n);
        var qkv = _qkv.View(0, n * 3 * c);
        var attention = _attention.View(0, n * c);
        var fch = _fch.View(0, n * 4 * c);
        var projection = _projection.View(0, n * c);

        k.EmbeddingForward(residual, tokenRows, positionRows, weights.View(layout.Wte), weights.View(layout.Wpe), c);
        for (var l = 0; l < Config.Layers; l++)
        {
            var w = layout.Blocks[l];

            // Attention: every row's k and v go to the cache first, so rows of one slot read each other's up to their own position.
            k.LayerNormForward(normed, mean, rstd, residual, weights.View(w.Ln1Weight), weights.View(w.Ln1Bias), n, c);
            k.MatMulForward(qkv, normed, weights.View(w.AttnWeight), n, c, 3 * c);
            k.CacheWrite(_kCache[l].All, _vCache[l].All, qkv, rowSlots, positionRows, maxT, c);
            k.CacheAttend(attention, qkv, _kCache[l].All, _vCache[l].All, rowSlots, positionRows, maxT, c, nh);
            k.MatMulForward(projection, attention, weights.View(w.AttnProjWeight), n, c, c);
            k.ResidualForward(residual, residual, projection);

            k.LayerNormForward(normed, mean, rstd, residual, weights.View(w.Ln2Weight), weights.View(w.Ln2Bias), n, c);
            k.MatMulForward(fch, normed, weights.View(w.FcWeight), n, c, 4 * c);
            k.GeluForward(fch, fch);
            k.MatMulForward(projection, fch, weights.View(w.FcProjWeight), n, 4 * c, c);
            k.ResidualForward(residual, residual, projection);
        }

        // Logits only after each slot's last new token: the prefill rows' would be thrown away.
        var last = _lastResidual.View(0, m * c);
        k.GatherRows(last, residual, lastRows, c);
        var lastNormed = _normed.View(0, m * c);
        var logitRows = _logits.View(0, m * vp);
        k.LayerNormForward(lastNormed, _mean.View(0, m), _rstd.View(0, m), last, weights.View(layout.LnFWeight), weights.View(layout.LnFBias), m, c);
        k.MatMulForward(logitRows, lastNormed, weights.View(layout.Wte), m, c, vp);
        k.Download(logitRows, logits);
        for (var i = 0; i < m; i++)
            _lengths[slots[i]] += counts[i];
    }

    /// <summary>Frees the cache and scratch on the backend.</summary>
    public void Dispose()
    {
        foreach (var buffer in _owned)
            buffer.Dispose();
    }

    private DeviceBuffer<T> Own<T>(DeviceBuffer<T> buffer)
        where T : unmanaged
    {
        _owned.Add(buffer);
        return buffer;
    }

    private void CheckSlot(int slot, string name)
    {
        if ((uint)slot >= (uint)MaxSequences)
            throw new ArgumentOutOfRangeException(name, $"Slot {slot} is outside [0, {MaxSequences}).");
    }

    /// <summary>Validates a step before any state changes, so a rejected step leaves the cache as it was; returns its
    /// rows, Σ counts.</summary>
    private int CheckRaggedStep(ReadOnlySpan<int> slots, ReadOnlySpan<int> counts, ReadOnlySpan<int> tokens, Span<float> logits)
    {
        if (slots.IsEmpty || slots.Length > MaxSequences)
            throw new ArgumentException($"A step takes 1..{MaxSequences} slots (got {slots.Length}).", nameof(slots));
        if (counts.Length != slots.Length)
            throw new ArgumentException($"counts must hold one count per slot ({slots.Length}).", nameof(counts));
        if (logits.Length != slots.Length * Config.PaddedVocabSize)
            throw new ArgumentException($"logits must hold slots × Vp = {slots.Length * Config.PaddedVocabSize} values.", nameof(logits));
        var rows = 0L;
        for (var i = 0; i < slots.Length; i++)
        {
            CheckSlot(slots[i], nameof(slots));
            if (slots[..i].Contains(slots[i]))
                throw new ArgumentException($"Slot {slots[i]} is listed twice.", nameof(slots));
            if (counts[i] < 1)
                throw new ArgumentOutOfRangeException(nameof(counts), $"Slot {slots[i]} is given {counts[i]} tokens; each slot takes at least 1.");
            if (_lengths[slots[i]] == Config.ContextLength)
                throw new InvalidOperationException($"Slot {slots[i]} is full: it holds the context length of {Config.ContextLength} tokens; Reset it to start a new sequence.");
            if (_lengths[slots[i]] + counts[i] > Config.ContextLength)
                throw new InvalidOperationException($"Slot {slots[i]} holds {_lengths[slots[i]]} tokens; {counts[i]} more exceed the context length of {Config.ContextLength}. Reset it to start a new sequence.");
            rows += counts[i];
        }
        if (rows > MaxRows)
            throw new ArgumentException($"A step feeds at most {MaxRows} tokens (got {rows}).", nameof(counts));
        if (tokens.Length != rows)
            throw new ArgumentException($"tokens must hold Σ counts = {rows} ids.", nameof(tokens));
        foreach (var token in tokens)
        {
            if ((uint)token >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(tokens), $"Token id {token} is outside the vocabulary [0, {Config.VocabSize}).");
        }
        return (int)rows;
    }
}
