using System.Globalization;
using FhirRisk.Model.Compute;
using FhirRisk.Model.Gpt;

namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// The KV cache of the rollouts under a memory cap: a <see cref="GptDecoder"/> with as many slots as the cap pays for
/// (each slot a whole context of keys and values for every layer, plus its row of step scratch), handed out one slot
/// per decoding sequence. The decoder allocates everything up front, so the cap holds from the first step to the
/// last; a sequence that finds no free slot waits for one.
/// </summary>
public sealed class KvCachePool : IDisposable
{
    private readonly GptDecoder _decoder;
    private readonly Stack<int> _free;

    /// <param name="parameters">The model's weights (shared, not counted against the cap).</param>
    /// <param name="memoryCapBytes">The most bytes the pool's per-sequence memory may take.</param>
    /// <param name="maxSlots">The most slots wanted even when the cap allows more.</param>
    /// <param name="backend">Where the cache lives.</param>
    /// <param name="maxRowsPerStep">Tokens one step may feed over all slots (a prefill reads a window in one pass); the
    /// decoder's rows are this many, but never fewer than the slots and never more than the cap leaves after them.</param>
    /// <exception cref="InferenceException">The cap is below one slot (<see cref="InferenceErrorCodes.MemoryCap"/>).</exception>
    public KvCachePool(GptParameters parameters, long memoryCapBytes, int maxSlots, IComputeBackend backend, int maxRowsPerStep = 0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSlots, 1);
        var perSlot = BytesPerSlot(parameters.Config);
        if (memoryCapBytes < perSlot)
        {
            throw new InferenceException(InferenceErrorCodes.MemoryCap, "kv_cache_bytes", string.Create(CultureInfo.InvariantCulture,
                $"a cap of {memoryCapBytes} bytes holds no sequence: one takes {perSlot} bytes ({parameters.Config.Layers} layers × {parameters.Config.ContextLength} positions × {parameters.Config.Channels} channels, keys and values). Hint: raise the KV-cache cap to at least {perSlot} bytes."));
        }
        Slots = (int)Math.Min(maxSlots, memoryCapBytes / perSlot);
        var perRow = BytesPerRow(parameters.Config);
        var affordable = Slots + (memoryCapBytes - Slots * perSlot) / perRow;
        RowsPerStep = (int)Math.Max(Slots, Math.Min(maxRowsPerStep, affordable));
        _decoder = new GptDecoder(parameters, Slots, backend, RowsPerStep);
        _free = new Stack<int>(Enumerable.Range(0, Slots).Reverse());
        ReservedBytes = Slots * perSlot + (RowsPerStep - Slots) * perRow;
    }

    /// <summary>The most tokens one step feeds over all slots.</summary>
    public int RowsPerStep { get; }

    /// <summary>Sequences that can decode at once.</summary>
    public int Slots { get; }

    /// <summary>The per-sequence memory the pool holds: at most the cap.</summary>
    public long ReservedBytes { get; }

    /// <summary>Slots handed out now.</summary>
    public int InUse => Slots - _free.Count;

    /// <summary>The most slots handed out at once so far.</summary>
    public int PeakInUse { get; private set; }

    internal GptDecoder Decoder => _decoder;

    /// <summary>
    /// The bytes one slot costs: 2·L·T·C floats of cache, plus the decoder's step scratch for its row and its logits
    /// (12·C + Vp + 2 floats: residual, norms, qkv, attention, MLP, projection, the last row's residual, logits) and
    /// 8 ints.
    /// </summary>
    public static long BytesPerSlot(GptConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var (l, t, c) = ((long)config.Layers, (long)config.ContextLength, (long)config.Channels);
        return sizeof(float) * (2 * l * t * c + 12 * c + config.PaddedVocabSize + 2) + 8 * sizeof(int);
    }

    /// <summary>The bytes one row of a step beyond the slots' own costs: the decoder's per-row activations (11·C + 2
    /// floats: residual, norms, qkv, attention, MLP, projection) and 5 ints (token, position and slot, on the backend
    /// and the host).</summary>
    public static long BytesPerRow(GptConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return sizeof(float) * (11L * config.Channels + 2) + 5 * sizeof(int);
    }

    /// <summary>A free slot, empty; −1 when all are in use.</summary>
    public int Rent()
    {
        if (_free.Count == 0)
            return -1;
        var slot = _free.Pop();
        _decoder.Reset(slot);
        PeakInUse = Math.Max(PeakInUse, InUse);
        return slot;
    }

    /// <summary>Gives a slot back.</summary>
    public void Return(int slot)
    {
        _decoder.Reset(slot);
        _free.Push(slot);
    }

    public void Dispose() => _decoder.Dispose();
}
