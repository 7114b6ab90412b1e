using System.Runtime.InteropServices;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// Draws one token per row of logits with temperature, top-k and top-p (<see cref="SamplingSettings"/>), following
/// Hugging Face's <c>TemperatureLogitsWarper</c>, <c>TopKLogitsWarper</c> and <c>TopPLogitsWarper</c> and then
/// <c>torch.multinomial</c>. Each row's uniform draw is word <c>step</c> of stream <c>sequenceId</c> of
/// <see cref="CounterRng"/> under the seed, so a row's token depends only on its logits and (seed, sequence, step): not
/// on which other sequences share the batch, nor on the thread count. Only the first V columns of a row are real; the
/// padded columns are never read.
/// </summary>
public static unsafe class Sampler
{
    /// <summary>The scratch <see cref="Sample"/> needs: <paramref name="vocabSize"/> words per row.</summary>
    public static int ScratchLength(int rows, int vocabSize) => rows * vocabSize;

    /// <summary>Samples every row of a batch.</summary>
    /// <param name="tokens">(S) the sampled token ids, written.</param>
    /// <param name="logits">(S, Vp) row-major; columns V..Vp are padding and ignored.</param>
    /// <param name="vocabSize">V, the real vocabulary size.</param>
    /// <param name="paddedVocabSize">Vp, the row stride.</param>
    /// <param name="settings">Temperature, top-k, top-p.</param>
    /// <param name="seed">The generation seed.</param>
    /// <param name="sequenceIds">(S) the sequence each row belongs to.</param>
    /// <param name="steps">(S) how many tokens each sequence has sampled before this one.</param>
    /// <param name="scratch">At least <see cref="ScratchLength"/>(S, V) words; its contents are overwritten.</param>
    /// <param name="options">Threads (rows are spread over them); the tokens do not depend on them.</param>
    public static void Sample(Span<int> tokens, ReadOnlySpan<float> logits, int vocabSize, int paddedVocabSize,
        SamplingSettings settings, ulong seed, ReadOnlySpan<long> sequenceIds, ReadOnlySpan<int> steps, Span<ulong> scratch,
        ComputeOptions? options = null)
    {
        var rows = tokens.Length;
        if (vocabSize < 1 || paddedVocabSize < vocabSize || logits.Length != rows * paddedVocabSize
            || sequenceIds.Length != rows || steps.Length != rows || scratch.Length < ScratchLength(rows, vocabSize))
        {
            throw new ArgumentException(
                $"Shapes disagree: {rows} rows, logits {logits.Length} (V {vocabSize}, Vp {paddedVocabSize}), {sequenceIds.Length} sequence ids, {steps.Length} steps, scratch {scratch.Length}.");
        }

        var threads = (options ?? ComputeOptions.Default).Threads;
        fixed (int* t = tokens)
        fixed (float* l = logits)
        fixed (long* ids = sequenceIds)
        fixed (int* s = steps)
        fixed (ulong* w = scratch)
        {
            var (pt, pl, pids, ps, pw) = ((nint)t, (nint)l, (nint)ids, (nint)s, (nint)w);
            void Row(int r) => ((int*)pt)[r] = SampleRow(
                new ReadOnlySpan<float>((float*)pl + (long)r * paddedVocabSize, vocabSize), settings, seed,
                ((long*)pids)[r], ((int*)ps)[r], new Span<ulong>((ulong*)pw + (long)r * vocabSize, vocabSize));

            if (threads <= 1 || rows <= 1)
            {
                for (var r = 0; r < rows; r++)
                {
                    Row(r);
                }
            }
            else
            {
                Parallel.For(0, rows, new ParallelOptions { MaxDegreeOfParallelism = threads }, Row);
            }
        }
    }

    /// <summary>Samples one row; allocates nothing.</summary>
    /// <param name="logits">(V) the real logits of the row (no padding).</param>
    /// <param name="settings">Temperature, top-k, top-p.</param>
    /// <param name="seed">The generation seed.</param>
    /// <param name="sequenceId">The sequence (the RNG stream).</param>
    /// <param name="step">Tokens this sequence sampled before (the RNG offset).</param>
    /// <param name="scratch">At least V words.</param>
    /// <exception cref="ArithmeticException">A logit is NaN or +∞, or every logit is −∞ (a diverged model): no
    /// distribution to draw from. A −∞ logit alone is a token that is never drawn.</exception>
    public static int SampleRow(ReadOnlySpan<float> logits, SamplingSettings settings, ulong seed, long sequenceId, int step, Span<ulong> scratch)
    {
        Validate(settings, logits.Length, scratch.Length);
        RequireDrawable(logits);
        if (settings.Temperature == 0f)
        {
            return ArgMax(logits);
        }

        var u = CounterRng.ToUniformDouble(CounterRng.NextUInt32(seed, (ulong)sequenceId, (ulong)step));
        var topK = settings.TopK > 0 && settings.TopK < logits.Length;
        var topP = settings.TopP < 1f;
        return topK || topP
            ? DrawFiltered(logits, settings, u, scratch[..logits.Length])
            : DrawAll(logits, settings.Temperature, u, MemoryMarshal.Cast<ulong, double>(scratch[..logits.Length]));
    }

    /// <summary>Inverse-CDF draw from softmax(logits / T) over every token, in index order.</summary>
    private static int DrawAll(ReadOnlySpan<float> logits, float temperature, double u, Span<double> weights)
    {
        var max = float.NegativeInfinity;
        foreach (var logit in logits)
        {
            max = Math.Max(max, logit / temperature);
        }

        var total = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            weights[i] = Math.Exp((double)(logits[i] / temperature) - max);
            total += weights[i];
        }

        var target = u * total;
        var cumulative = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            cumulative += weights[i];
            if (cumulative > target)
            {
                return i;
            }
        }

        return ArgMax(logits);
    }

    /// <summary>
    /// HF's warpers over tokens ordered ascending by (logit / T, index): top-k keeps every token whose value is at least
    /// the k-th largest; top-p then drops tokens from the low end while the ascending cumulative probability stays
    /// ≤ 1 − p, never the last. The draw walks the survivors in that order. Only survivors are sorted: top-k selects
    /// rather than sorts, and top-p first sets aside the tokens of probability ≤ (1 − p)/n, which sort first and whose
    /// cumulative sum cannot pass 1 − p, so HF would drop them all.
    /// </summary>
    private static int DrawFiltered(ReadOnlySpan<float> logits, SamplingSettings settings, double u, Span<ulong> keys)
    {
        var temperature = settings.Temperature;
        for (var i = 0; i < logits.Length; i++)
        {
            keys[i] = SortKey(logits[i] / temperature, i);
        }

        var kept = settings.TopK > 0 && settings.TopK < keys.Length ? keys[KeepTopK(keys, settings.TopK)..] : keys;
        var max = double.NegativeInfinity;
        foreach (var key in kept)
        {
            max = Math.Max(max, Scaled(logits, key, temperature));
        }

        if (settings.TopP < 1f)
        {
            var total = Weights(logits, kept, temperature, max);
            var removeUpTo = 1.0 - settings.TopP;
            var cumulative = 0.0;
            if (settings.TopP > 0f)
            {
                var negligible = SetAsideNegligible(logits, kept, temperature, max, total * removeUpTo / kept.Length, out var setAsideWeight);
                kept = kept[negligible..];
                cumulative = setAsideWeight / total;
            }

            kept.Sort();
            var first = 0;
            while (first < kept.Length - 1)
            {
                cumulative += Math.Exp(Scaled(logits, kept[first], temperature) - max) / total;
                if (cumulative > removeUpTo)
                {
                    break;
                }

                first++;
            }

            kept = kept[first..];
        }
        else
        {
            kept.Sort();
        }

        // Summed in the same order as the walk below, so the walk always crosses the target.
        var target = u * Weights(logits, kept, temperature, max);
        var running = 0.0;
        foreach (var key in kept)
        {
            running += Math.Exp(Scaled(logits, key, temperature) - max);
            if (running > target)
            {
                return (int)(uint)key;
            }
        }

        return (int)(uint)kept[^1];
    }

    /// <summary>
    /// Moves the k largest keys, and every smaller key tied in value with the k-th, to the end of
    /// <paramref name="keys"/> (unsorted); returns where they start.
    /// </summary>
    private static int KeepTopK(Span<ulong> keys, int k)
    {
        var kth = keys.Length - k;
        SelectAscending(keys, kth);
        var value = keys[kth] >> 32;
        var first = kth;
        for (var i = kth - 1; i >= 0; i--)
        {
            if (keys[i] >> 32 == value)
            {
                first--;
                (keys[i], keys[first]) = (keys[first], keys[i]);
            }
        }

        return first;
    }

    /// <summary>
    /// Quickselect (Hoare, "Algorithm 65: Find", 1961) with a median-of-three pivot: afterwards keys[n] is the n-th
    /// smallest, everything before it smaller and everything after it larger. Keys are distinct (they embed the index).
    /// </summary>
    private static void SelectAscending(Span<ulong> keys, int n)
    {
        var (lo, hi) = (0, keys.Length - 1);
        while (hi > lo)
        {
            var mid = lo + (hi - lo) / 2;
            var pivot = Math.Max(Math.Min(keys[lo], keys[mid]), Math.Min(Math.Max(keys[lo], keys[mid]), keys[hi]));
            var (i, j) = (lo, hi);
            while (i <= j)
            {
                while (keys[i] < pivot)
                {
                    i++;
                }

                while (keys[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (keys[i], keys[j]) = (keys[j], keys[i]);
                    i++;
                    j--;
                }
            }

            if (n <= j)
            {
                hi = j;
            }
            else if (n >= i)
            {
                lo = i;
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>
    /// Moves the keys whose weight exp(logit/T − max) is ≤ <paramref name="bound"/> to the front; returns their count
    /// and, through <paramref name="weight"/>, their summed weight.
    /// </summary>
    private static int SetAsideNegligible(ReadOnlySpan<float> logits, Span<ulong> keys, float temperature, double max, double bound, out double weight)
    {
        var count = 0;
        weight = 0.0;
        for (var i = 0; i < keys.Length; i++)
        {
            var w = Math.Exp(Scaled(logits, keys[i], temperature) - max);
            if (w <= bound)
            {
                weight += w;
                (keys[i], keys[count]) = (keys[count], keys[i]);
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// Orders (value, index) pairs as one unsigned integer: the float's bits made monotone (negatives flipped, positives
    /// offset past them; −0 folded into +0) above the index, so ties sort by index and the sort is deterministic.
    /// </summary>
    private static ulong SortKey(float value, int index)
    {
        var bits = BitConverter.SingleToUInt32Bits(value + 0f);
        var monotone = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)monotone << 32) | (uint)index;
    }

    /// <summary>Σ exp(logit/T − max) over <paramref name="keys"/>, in their order.</summary>
    private static double Weights(ReadOnlySpan<float> logits, ReadOnlySpan<ulong> keys, float temperature, double max)
    {
        var total = 0.0;
        foreach (var key in keys)
        {
            total += Math.Exp(Scaled(logits, key, temperature) - max);
        }

        return total;
    }

    private static double Scaled(ReadOnlySpan<float> logits, ulong key, float temperature) => logits[(int)(uint)key] / temperature;

    /// <summary>Index of the largest logit, the first on ties (as <c>torch.argmax</c>).</summary>
    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static void RequireDrawable(ReadOnlySpan<float> logits)
    {
        var any = false;
        foreach (var logit in logits)
        {
            if (float.IsNaN(logit) || float.IsPositiveInfinity(logit))
            {
                throw new ArithmeticException($"A logit is {logit}: the model's output is not a distribution.");
            }

            any |= !float.IsNegativeInfinity(logit);
        }

        if (!any)
        {
            throw new ArithmeticException("Every logit is -Infinity: the model's output is not a distribution.");
        }
    }

    private static void Validate(SamplingSettings settings, int vocabSize, int scratchLength)
    {
        if (!(settings.Temperature >= 0f) || settings.TopK < 0 || !(settings.TopP is >= 0f and <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings, "Need temperature ≥ 0, top-k ≥ 0 and top-p in [0, 1].");
        }

        if (vocabSize < 1 || scratchLength < vocabSize)
        {
            throw new ArgumentException($"Need at least one logit and a scratch of {vocabSize} words (got {scratchLength}).");
        }
    }
}
