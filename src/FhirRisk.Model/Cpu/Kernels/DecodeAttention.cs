using System.Buffers;
using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// One decode step of causal attention over a KV cache, for a batch of independent sequences of different lengths
/// (rollouts): each sequence's new token attends to all of its cached positions, itself included.
/// </summary>
/// <remarks>
/// <para>
/// Cache layout, per layer: <c>kCache</c> and <c>vCache</c> are each (S, maxT, C); slot s holds sequence s, position t
/// at <c>(s·maxT + t)·C</c>, heads side by side as in <see cref="Attention"/>. Row s of the step's q and output
/// belongs to slot s, and <c>lengths[s]</c> counts the positions of slot s that are filled, the new token included.
/// A slot with length 0 is free: its output row is zeroed and its cache is never read. A sequence leaves by setting
/// its length to 0; a new one joins by taking a free slot and starting again at length 1, overwriting what the
/// previous occupant left (nothing past <c>lengths[s]</c> is ever read).
/// </para>
/// <para>
/// A step per token: raise <c>lengths[s]</c> by one for each live slot, compute the token's qkv row, call
/// <see cref="Append"/>, then <see cref="Step"/> with the q part. Work is one item per slot (or per group of a slot's
/// heads, when there are fewer slots than threads), chunked by <see cref="ParallelRows"/>; each item owns its output
/// channels and sums in a fixed order, so results do not depend on the thread count. Scratch: NH·maxT floats per
/// worker, pooled.
/// </para>
/// <para>
/// Decoding is bound by reading the cache (2·S·length·C floats per layer and step, far more than L3 holds), so an
/// item walks its slot's cached rows in order, every head of a row at once: the reads stream through memory rather
/// than striding across rows once per head, which is several times faster here.
/// </para>
/// </remarks>
public static class DecodeAttention
{
    /// <summary>Writes <c>kCache[s, lengths[s] − 1, :]</c> and <c>vCache[s, lengths[s] − 1, :]</c> from the k and v parts of
    /// <c>qkv</c> row s, for every live slot.</summary>
    /// <param name="kCache">(S, maxT, C) keys of this layer.</param>
    /// <param name="vCache">(S, maxT, C) values of this layer.</param>
    /// <param name="qkv">(S, 3C) the new tokens' queries, keys and values, one row per slot.</param>
    /// <param name="lengths">(S) filled positions per slot, the new token included; 0 for a free slot.</param>
    /// <param name="maxT">Positions per slot in the cache.</param>
    /// <param name="C">Channels.</param>
    public static void Append(Span<float> kCache, Span<float> vCache, ReadOnlySpan<float> qkv, ReadOnlySpan<int> lengths, int maxT, int C)
    {
        var slots = lengths.Length;
        ValidateCache(kCache.Length, vCache.Length, lengths, maxT, C);
        AttentionShape.Require(qkv.Length, (long)slots * 3 * C, nameof(qkv));
        for (var s = 0; s < slots; s++)
        {
            if (lengths[s] == 0)
                continue;
            var position = ((long)s * maxT + lengths[s] - 1) * C;
            qkv.Slice(s * 3 * C + C, C).CopyTo(kCache.Slice((int)position, C));
            qkv.Slice(s * 3 * C + 2 * C, C).CopyTo(vCache.Slice((int)position, C));
        }
    }

    /// <summary>
    /// <c>output[s] = softmax(q[s]·Kᵀ/√HS)·V</c> per head, over the first <c>lengths[s]</c> cached positions of slot s,
    /// where q[s] is the first C values of qkv row s (the rows <see cref="Append"/> took, so no copy is needed).
    /// </summary>
    /// <param name="output">(S, C) attention output; overwritten (zero for free slots).</param>
    /// <param name="qkv">(S, 3C) the new tokens' queries, keys and values, one row per slot; only the queries are read.</param>
    /// <param name="kCache">(S, maxT, C) keys of this layer, already holding the new tokens (<see cref="Append"/>).</param>
    /// <param name="vCache">(S, maxT, C) values of this layer, likewise.</param>
    /// <param name="lengths">(S) filled positions per slot, in 0..<paramref name="maxT"/>; 0 for a free slot.</param>
    /// <param name="maxT">Positions per slot in the cache.</param>
    /// <param name="C">Channels; a multiple of <paramref name="NH"/>.</param>
    /// <param name="NH">Heads.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static void Step(
        Span<float> output, ReadOnlySpan<float> qkv, ReadOnlySpan<float> kCache, ReadOnlySpan<float> vCache, ReadOnlySpan<int> lengths,
        int maxT, int C, int NH, ComputeOptions? options = null)
    {
        if (Vector512.IsHardwareAccelerated)
            Step<Vector512<float>, AttentionSimd512>(output, qkv, kCache, vCache, lengths, maxT, C, NH, options);
        else
            Step<Vector256<float>, AttentionSimd256>(output, qkv, kCache, vCache, lengths, maxT, C, NH, options);
    }

    /// <summary><see cref="Step"/> at a chosen vector width (the tests run both).</summary>
    internal static unsafe void Step<TVec, TSimd>(
        Span<float> output, ReadOnlySpan<float> qkv, ReadOnlySpan<float> kCache, ReadOnlySpan<float> vCache, ReadOnlySpan<int> lengths,
        int maxT, int C, int NH, ComputeOptions? options)
        where TVec : struct
        where TSimd : struct, IAttentionSimd<TVec>
    {
        ValidateCache(kCache.Length, vCache.Length, lengths, maxT, C);
        Run<TVec, TSimd>(output, qkv, kCache, vCache, [], lengths, 0, maxT, C, NH, options);
    }

    /// <summary>
    /// Writes each row's key and value into its slot's cache at its position: <c>kCache[slots[i], positions[i], :]</c>
    /// and <c>vCache[…]</c> from the k and v parts of <c>qkv</c> row i. Rows of one slot may fill several positions at
    /// once (a prefill), in any order.
    /// </summary>
    /// <param name="kCache">(S, maxT, C) keys of this layer.</param>
    /// <param name="vCache">(S, maxT, C) values of this layer.</param>
    /// <param name="qkv">(n, 3C) the rows' queries, keys and values.</param>
    /// <param name="slots">(n) each row's slot, in [0, S).</param>
    /// <param name="positions">(n) each row's position in its slot, in [0, maxT).</param>
    /// <param name="maxT">Positions per slot in the cache.</param>
    /// <param name="C">Channels.</param>
    public static void Write(Span<float> kCache, Span<float> vCache, ReadOnlySpan<float> qkv, ReadOnlySpan<int> slots, ReadOnlySpan<int> positions, int maxT, int C)
    {
        ValidateRows(kCache.Length, vCache.Length, slots, positions, maxT, C);
        var rows = slots.Length;
        AttentionShape.Require(qkv.Length, (long)rows * 3 * C, nameof(qkv));
        for (var i = 0; i < rows; i++)
        {
            var position = ((long)slots[i] * maxT + positions[i]) * C;
            qkv.Slice(i * 3 * C + C, C).CopyTo(kCache.Slice((int)position, C));
            qkv.Slice(i * 3 * C + 2 * C, C).CopyTo(vCache.Slice((int)position, C));
        }
    }

    /// <summary>
    /// Causal attention for rows that each belong to a slot and a position: <c>output[i] = softmax(q_i·Kᵀ/√HS)·V</c> per
    /// head over positions 0 … <c>positions[i]</c> of slot <c>slots[i]</c>, which must already hold the rows' keys and
    /// values (<see cref="Write"/>). Several rows of one slot read a prefill in one pass; each row's arithmetic is
    /// exactly <see cref="Step"/>'s for a slot of length <c>positions[i] + 1</c>, so feeding a window in one call or
    /// one token per step gives the same bits.
    /// </summary>
    /// <param name="output">(n, C) attention output; overwritten.</param>
    /// <param name="qkv">(n, 3C) the rows' queries, keys and values; only the queries are read.</param>
    /// <param name="kCache">(S, maxT, C) keys of this layer.</param>
    /// <param name="vCache">(S, maxT, C) values of this layer.</param>
    /// <param name="slots">(n) each row's slot, in [0, S).</param>
    /// <param name="positions">(n) each row's position in its slot, in [0, maxT).</param>
    /// <param name="maxT">Positions per slot in the cache.</param>
    /// <param name="C">Channels; a multiple of <paramref name="NH"/>.</param>
    /// <param name="NH">Heads.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static void Attend(
        Span<float> output, ReadOnlySpan<float> qkv, ReadOnlySpan<float> kCache, ReadOnlySpan<float> vCache, ReadOnlySpan<int> slots,
        ReadOnlySpan<int> positions, int maxT, int C, int NH, ComputeOptions? options = null)
    {
        if (Vector512.IsHardwareAccelerated)
            Attend<Vector512<float>, AttentionSimd512>(output, qkv, kCache, vCache, slots, positions, maxT, C, NH, options);
        else
            Attend<Vector256<float>, AttentionSimd256>(output, qkv, kCache, vCache, slots, positions, maxT, C, NH, options);
    }

    /// <summary><see cref="Attend"/> at a chosen vector width (the tests run both).</summary>
    internal static unsafe void Attend<TVec, TSimd>(
        Span<float> output, ReadOnlySpan<float> qkv, ReadOnlySpan<float> kCache, ReadOnlySpan<float> vCache, ReadOnlySpan<int> slots,
        ReadOnlySpan<int> positions, int maxT, int C, int NH, ComputeOptions? options)
        where TVec : struct
        where TSimd : struct, IAttentionSimd<TVec>
    {
        ValidateRows(kCache.Length, vCache.Length, slots, positions, maxT, C);
        Run<TVec, TSimd>(output, qkv, kCache, vCache, slots, positions, 1, maxT, C, NH, options);
    }

    /// <summary>
    /// The attention of <see cref="Step{TVec, TSimd}"/> and <see cref="Attend{TVec, TSimd}"/> for rows whose indices were
    /// checked: row r reads slot <c>rowSlots[r]</c> (slot r when <paramref name="rowSlots"/> is empty) over its first
    /// <c>ends[r] + endOffset</c> cached positions (Step passes lengths and 0, Attend positions and 1).
    /// </summary>
    private static unsafe void Run<TVec, TSimd>(
        Span<float> output, ReadOnlySpan<float> qkv, ReadOnlySpan<float> kCache, ReadOnlySpan<float> vCache, ReadOnlySpan<int> rowSlots,
        ReadOnlySpan<int> ends, int endOffset, int maxT, int C, int NH, ComputeOptions? options)
        where TVec : struct
        where TSimd : struct, IAttentionSimd<TVec>
    {
        var rows = ends.Length;
        if (NH < 1 || C % NH != 0)
            throw new ArgumentException($"C={C} must be a positive multiple of NH={NH}.");
        AttentionShape.Require(qkv.Length, (long)rows * 3 * C, nameof(qkv));
        AttentionShape.Require(output.Length, (long)rows * C, nameof(output));
        if (output.Overlaps(qkv) || output.Overlaps(kCache) || output.Overlaps(vCache))
            throw new ArgumentException("output must not overlap qkv or the cache.", nameof(output));

        // Split each row's heads into groups only when there are fewer rows than threads.
        var threads = Math.Max(1, (options ?? ComputeOptions.Default).Threads);
        var groups = Math.Clamp((threads + rows - 1) / Math.Max(1, rows), 1, NH);
        fixed (float* pOut = output, pQ = qkv, pK = kCache, pV = vCache)
        fixed (int* pSlots = rowSlots, pEnds = ends)
        {
            var kernel = new StepKernel<TVec, TSimd>(pOut, pQ, pK, pV, rowSlots.IsEmpty ? null : pSlots, pEnds, endOffset, maxT, C, NH, groups);
            ParallelRows.For(rows * groups, 2L * maxT * C / groups, options, kernel, chunksPerThread: 4);
        }
    }

    private static void ValidateRows(int kLength, int vLength, ReadOnlySpan<int> slots, ReadOnlySpan<int> positions, int maxT, int C)
    {
        if (maxT < 1 || C < 1)
            throw new ArgumentException($"maxT and C must be positive (got maxT={maxT}, C={C}).");
        if (positions.Length != slots.Length)
            throw new ArgumentException($"positions must hold one value per row ({slots.Length}).", nameof(positions));
        if (kLength != vLength || kLength % ((long)maxT * C) != 0)
            throw new ArgumentException($"kCache and vCache must each hold S·maxT·C floats (maxT={maxT}, C={C}).");
        var cacheSlots = kLength / ((long)maxT * C);
        for (var i = 0; i < slots.Length; i++)
        {
            if ((uint)slots[i] >= cacheSlots)
                throw new ArgumentException($"Row {i}'s slot {slots[i]} is outside the cache's {cacheSlots} slots.", nameof(slots));
            if ((uint)positions[i] >= (uint)maxT)
                throw new ArgumentException($"Row {i}'s position {positions[i]} is outside 0..maxT−1 = {maxT - 1}.", nameof(positions));
        }
    }

    private static void ValidateCache(int kLength, int vLength, ReadOnlySpan<int> lengths, int maxT, int C)
    {
        if (maxT < 1 || C < 1)
            throw new ArgumentException($"maxT and C must be positive (got maxT={maxT}, C={C}).");
        var cache = (long)lengths.Length * maxT * C;
        AttentionShape.Require(kLength, cache, "kCache");
        AttentionShape.Require(vLength, cache, "vCache");
        foreach (var length in lengths)
        {
            if (length < 0 || length > maxT)
                throw new ArgumentException($"A slot length of {length} is outside 0..maxT={maxT}.", nameof(lengths));
        }
    }

    /// <summary>Attention per row: row r reads slot <c>rowSlots[r]</c> (slot r when null) over its first
    /// <c>ends[r] + endOffset</c> cached positions.</summary>
    private readonly unsafe struct StepKernel<TVec, TSimd>(
        float* output, float* qkv, float* kCache, float* vCache, int* rowSlots, int* ends, int endOffset, int maxT, int C, int NH, int groups)
        : IRangeKernel
        where TVec : struct
        where TSimd : struct, IAttentionSimd<TVec>
    {
        public void Execute(int start, int end)
        {
            var scratch = ArrayPool<float>.Shared.Rent(NH * maxT);
            try
            {
                fixed (float* scores = scratch)
                {
                    for (var item = start; item < end; item++)
                    {
                        var (r, group) = Math.DivRem(item, groups);
                        Heads(r, NH * group / groups, NH * (group + 1) / groups, scores);
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        }

        /// <summary>Heads [h0, h1) of row r; scores[(h − h0)·maxT + t] holds head h's weight of position t.</summary>
        private void Heads(int r, int h0, int h1, float* scores)
        {
            var hs = C / NH;
            var (first, width) = (h0 * hs, (h1 - h0) * hs);
            var o = output + (long)r * C + first;
            var length = ends[r] + endOffset;
            var s = rowSlots == null ? r : rowSlots[r];
            if (length == 0)
            {
                new Span<float>(o, width).Clear();
                return;
            }

            // Scores, one cached row at a time: (q_h · k_t,h) for every head of the group.
            var q = qkv + (long)r * 3 * C + first;
            var k = kCache + (long)s * maxT * C + first;
            for (var t = 0; t < length; t++)
            {
                var row = k + (long)t * C;
                for (var h = 0; h < h1 - h0; h++)
                    scores[h * maxT + t] = AttentionTiles<TVec, TSimd>.Dot(q + h * hs, row + h * hs, hs);
            }

            // Softmax over each head's positions, scaled by 1/√HS; the 1/sum is applied to the output at the end.
            var scale = 1f / MathF.Sqrt(hs);
            var sums = stackalloc float[h1 - h0];
            for (var h = 0; h < h1 - h0; h++)
            {
                var p = scores + h * maxT;
                sums[h] = AttentionTiles<TVec, TSimd>.ExpInPlace(p, length, scale, scale * AttentionTiles<TVec, TSimd>.Max(p, length));
            }

            // o_h = Σ_t p_h[t]·v_t,h, again one cached row at a time, each output channel summed in position order.
            var v = vCache + (long)s * maxT * C + first;
            new Span<float>(o, width).Clear();
            for (var t = 0; t < length; t++)
            {
                var row = v + (long)t * C;
                for (var h = 0; h < h1 - h0; h++)
                    AttentionTiles<TVec, TSimd>.MultiplyAddScalar(o + h * hs, scores[h * maxT + t], row + h * hs, hs);
            }

            for (var h = 0; h < h1 - h0; h++)
                AttentionTiles<TVec, TSimd>.Scale(o + h * hs, hs, 1f / sums[h]);
        }
    }
}
