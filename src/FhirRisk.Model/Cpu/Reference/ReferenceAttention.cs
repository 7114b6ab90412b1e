using System.Numerics;

namespace FhirRisk.Model.Cpu.Reference;

/// <summary>
/// Slow, obviously correct twins of <see cref="Attention"/> and <see cref="DecodeAttention"/>: llm.c's
/// <c>attention_forward</c>/<c>attention_backward</c> triple loops with the full (B, NH, T, T) probability matrix,
/// single-threaded, generic over the element type so that tests can run them in double as the oracle and as the
/// function differentiated by finite differences.
/// </summary>
public static class ReferenceAttention
{
    /// <summary>Twin of <see cref="Attention.Forward"/>, also returning the probabilities.</summary>
    /// <param name="output">(B, T, C) attention output.</param>
    /// <param name="att">(B, NH, T, T) softmax probabilities; zero above the diagonal.</param>
    /// <param name="stats">(B, NH, T) log-sum-exp of each row's scaled scores, as the fast kernel saves it.</param>
    /// <param name="qkv">(B, T, 3C) queries, keys and values.</param>
    /// <param name="B">Sequences.</param>
    /// <param name="T">Positions per sequence.</param>
    /// <param name="C">Channels.</param>
    /// <param name="NH">Heads.</param>
    public static void Forward<TReal>(Span<TReal> output, Span<TReal> att, Span<TReal> stats, ReadOnlySpan<TReal> qkv, int B, int T, int C, int NH)
        where TReal : IFloatingPointIeee754<TReal>
    {
        var hs = C / NH;
        var scale = TReal.One / TReal.Sqrt(TReal.CreateChecked(hs));
        for (var b = 0; b < B; b++)
        for (var t = 0; t < T; t++)
        for (var h = 0; h < NH; h++)
        {
            var q = qkv.Slice((b * T + t) * 3 * C + h * hs, hs);
            var row = att.Slice(((b * NH + h) * T + t) * T, T);
            var max = TReal.NegativeInfinity;
            for (var t2 = 0; t2 <= t; t2++)
            {
                var k = qkv.Slice((b * T + t2) * 3 * C + C + h * hs, hs);
                var score = TReal.Zero;
                for (var i = 0; i < hs; i++)
                    score += q[i] * k[i];
                row[t2] = score * scale;
                max = TReal.Max(max, row[t2]);
            }

            var sum = TReal.Zero;
            for (var t2 = 0; t2 <= t; t2++)
            {
                row[t2] = TReal.Exp(row[t2] - max);
                sum += row[t2];
            }

            for (var t2 = 0; t2 < T; t2++)
                row[t2] = t2 <= t ? row[t2] / sum : TReal.Zero;
            stats[(b * NH + h) * T + t] = max + TReal.Log(sum);

            var o = output.Slice((b * T + t) * C + h * hs, hs);
            o.Clear();
            for (var t2 = 0; t2 <= t; t2++)
            {
                var v = qkv.Slice((b * T + t2) * 3 * C + 2 * C + h * hs, hs);
                for (var i = 0; i < hs; i++)
                    o[i] += row[t2] * v[i];
            }
        }
    }

    /// <summary>Twin of <see cref="Attention.Backward"/>, from the probabilities; accumulates into dqkv (B, T, 3C).</summary>
    /// <param name="dqkv">(B, T, 3C) gradient of qkv, accumulated.</param>
    /// <param name="dout">(B, T, C) gradient of the output.</param>
    /// <param name="qkv">(B, T, 3C) the forward pass's input.</param>
    /// <param name="att">(B, NH, T, T) the forward pass's probabilities.</param>
    /// <param name="B">Sequences.</param>
    /// <param name="T">Positions per sequence.</param>
    /// <param name="C">Channels.</param>
    /// <param name="NH">Heads.</param>
    public static void Backward<TReal>(Span<TReal> dqkv, ReadOnlySpan<TReal> dout, ReadOnlySpan<TReal> qkv, ReadOnlySpan<TReal> att, int B, int T, int C, int NH)
        where TReal : IFloatingPointIeee754<TReal>
    {
        var hs = C / NH;
        var scale = TReal.One / TReal.Sqrt(TReal.CreateChecked(hs));
        var datt = new TReal[T];
        for (var b = 0; b < B; b++)
        for (var t = 0; t < T; t++)
        for (var h = 0; h < NH; h++)
        {
            var row = att.Slice(((b * NH + h) * T + t) * T, T);
            var dO = dout.Slice((b * T + t) * C + h * hs, hs);

            // out = Σ att·v: gradient into att and v.
            for (var t2 = 0; t2 <= t; t2++)
            {
                var v = (b * T + t2) * 3 * C + 2 * C + h * hs;
                datt[t2] = TReal.Zero;
                for (var i = 0; i < hs; i++)
                {
                    datt[t2] += qkv[v + i] * dO[i];
                    dqkv[v + i] += row[t2] * dO[i];
                }
            }

            // Softmax: dpreatt[t3] = att[t3]·(datt[t3] − Σ_t2 att[t2]·datt[t2]).
            var weighted = TReal.Zero;
            for (var t2 = 0; t2 <= t; t2++)
                weighted += row[t2] * datt[t2];

            // preatt = scale·q·k: gradient into q and k.
            var q = (b * T + t) * 3 * C + h * hs;
            for (var t2 = 0; t2 <= t; t2++)
            {
                var dpreatt = row[t2] * (datt[t2] - weighted) * scale;
                var k = (b * T + t2) * 3 * C + C + h * hs;
                for (var i = 0; i < hs; i++)
                {
                    dqkv[q + i] += qkv[k + i] * dpreatt;
                    dqkv[k + i] += qkv[q + i] * dpreatt;
                }
            }
        }
    }

    /// <summary>Twin of <see cref="DecodeAttention.Attend"/>: output (n, C) from the queries in qkv (n, 3C), each row over
    /// positions 0 … positions[i] of slot slots[i] of the caches (S, maxT, C).</summary>
    public static void CacheAttend<TReal>(Span<TReal> output, ReadOnlySpan<TReal> qkv, ReadOnlySpan<TReal> kCache, ReadOnlySpan<TReal> vCache,
        ReadOnlySpan<int> slots, ReadOnlySpan<int> positions, int maxT, int C, int NH)
        where TReal : IFloatingPointIeee754<TReal>
    {
        var hs = C / NH;
        var scale = TReal.One / TReal.Sqrt(TReal.CreateChecked(hs));
        var scores = new TReal[maxT];
        output.Clear();
        for (var r = 0; r < slots.Length; r++)
        for (var h = 0; h < NH; h++)
        {
            var (s, length) = (slots[r], positions[r] + 1);
            var max = TReal.NegativeInfinity;
            for (var t = 0; t < length; t++)
            {
                var score = TReal.Zero;
                for (var i = 0; i < hs; i++)
                    score += qkv[r * 3 * C + h * hs + i] * kCache[(s * maxT + t) * C + h * hs + i];
                scores[t] = score * scale;
                max = TReal.Max(max, scores[t]);
            }

            var sum = TReal.Zero;
            for (var t = 0; t < length; t++)
            {
                scores[t] = TReal.Exp(scores[t] - max);
                sum += scores[t];
            }

            for (var t = 0; t < length; t++)
            for (var i = 0; i < hs; i++)
                output[r * C + h * hs + i] += scores[t] / sum * vCache[(s * maxT + t) * C + h * hs + i];
        }
    }

    /// <summary>Twin of <see cref="DecodeAttention.Step"/>: output (S, C) from the queries in qkv (S, 3C) and caches (S, maxT, C).</summary>
    /// <param name="output">(S, C) attention output; zero for free slots.</param>
    /// <param name="qkv">(S, 3C) the new tokens' queries, keys and values; only the queries are read.</param>
    /// <param name="kCache">(S, maxT, C) cached keys.</param>
    /// <param name="vCache">(S, maxT, C) cached values.</param>
    /// <param name="lengths">(S) filled positions per slot; 0 for a free slot.</param>
    /// <param name="maxT">Positions per slot.</param>
    /// <param name="C">Channels.</param>
    /// <param name="NH">Heads.</param>
    public static void DecodeStep<TReal>(Span<TReal> output, ReadOnlySpan<TReal> qkv, ReadOnlySpan<TReal> kCache, ReadOnlySpan<TReal> vCache,
        ReadOnlySpan<int> lengths, int maxT, int C, int NH)
        where TReal : IFloatingPointIeee754<TReal>
    {
        // Slot s's step is row s attending up to position lengths[s] − 1; a free slot's row stays zero.
        output.Clear();
        for (var s = 0; s < lengths.Length; s++)
        {
            if (lengths[s] > 0)
                CacheAttend(output.Slice(s * C, C), qkv.Slice(s * 3 * C, 3 * C), kCache, vCache, [s], [lengths[s] - 1], maxT, C, NH);
        }
    }
}
