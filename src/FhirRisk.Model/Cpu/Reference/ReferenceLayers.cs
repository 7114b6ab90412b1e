using System.Numerics;

namespace FhirRisk.Model.Cpu.Reference;

/// <summary>
/// Slow, obviously correct twins of <see cref="LayerNorm"/>, <see cref="Gelu"/>, <see cref="Residual"/>,
/// <see cref="Embedding"/> and <see cref="SoftmaxCrossEntropy"/>: the plain loops of llm.c's <c>train_gpt2.c</c>,
/// single-threaded, generic over the element type so that tests can run them in double as the oracle and as the
/// function differentiated by finite differences. Backward methods accumulate exactly like the fast kernels.
/// </summary>
public static class ReferenceLayers
{
    /// <summary>Twin of <see cref="LayerNorm.Forward"/>: out (N, C), mean (N), rstd (N).</summary>
    public static void LayerNormForward<TReal>(Span<TReal> output, Span<TReal> mean, Span<TReal> rstd, ReadOnlySpan<TReal> inp,
        ReadOnlySpan<TReal> weight, ReadOnlySpan<TReal> bias, int N, int C)
        where TReal : IFloatingPointIeee754<TReal>
    {
        var channels = TReal.CreateChecked(C);
        for (var n = 0; n < N; n++)
        {
            var x = inp.Slice(n * C, C);
            var m = TReal.Zero;
            for (var c = 0; c < C; c++)
                m += x[c];
            m /= channels;
            var v = TReal.Zero;
            for (var c = 0; c < C; c++)
                v += (x[c] - m) * (x[c] - m);
            v /= channels;
            var s = TReal.One / TReal.Sqrt(v + TReal.CreateChecked(LayerNorm.Epsilon));
            for (var c = 0; c < C; c++)
                output[n * C + c] = (x[c] - m) * s * weight[c] + bias[c];
            mean[n] = m;
            rstd[n] = s;
        }
    }

    /// <summary>Twin of <see cref="LayerNorm.Backward"/>; accumulates into dinp (N, C), dweight (C), dbias (C).</summary>
    public static void LayerNormBackward<TReal>(Span<TReal> dinp, Span<TReal> dweight, Span<TReal> dbias, ReadOnlySpan<TReal> dout,
        ReadOnlySpan<TReal> inp, ReadOnlySpan<TReal> weight, ReadOnlySpan<TReal> mean, ReadOnlySpan<TReal> rstd, int N, int C)
        where TReal : IFloatingPointIeee754<TReal>
    {
        var channels = TReal.CreateChecked(C);
        for (var n = 0; n < N; n++)
        {
            var dnormMean = TReal.Zero;
            var dnormNormMean = TReal.Zero;
            for (var c = 0; c < C; c++)
            {
                var norm = (inp[n * C + c] - mean[n]) * rstd[n];
                var dnorm = weight[c] * dout[n * C + c];
                dnormMean += dnorm;
                dnormNormMean += dnorm * norm;
            }

            dnormMean /= channels;
            dnormNormMean /= channels;
            for (var c = 0; c < C; c++)
            {
                var norm = (inp[n * C + c] - mean[n]) * rstd[n];
                var dnorm = weight[c] * dout[n * C + c];
                dbias[c] += dout[n * C + c];
                dweight[c] += norm * dout[n * C + c];
                dinp[n * C + c] += (dnorm - dnormMean - norm * dnormNormMean) * rstd[n];
            }
        }
    }

    /// <summary>Twin of <see cref="Gelu.Forward"/>, in the textbook tanh form.</summary>
    public static void GeluForward<TReal>(Span<TReal> output, ReadOnlySpan<TReal> inp)
        where TReal : IFloatingPointIeee754<TReal>
    {
        for (var i = 0; i < inp.Length; i++)
        {
            var x = inp[i];
            output[i] = Half<TReal>() * x * (TReal.One + TReal.Tanh(GeluArgument(x)));
        }
    }

    /// <summary>Twin of <see cref="Gelu.Backward"/>; accumulates into dinp.</summary>
    public static void GeluBackward<TReal>(Span<TReal> dinp, ReadOnlySpan<TReal> inp, ReadOnlySpan<TReal> dout)
        where TReal : IFloatingPointIeee754<TReal>
    {
        var sqrt2OverPi = TReal.Sqrt(TReal.CreateChecked(2) / TReal.Pi);
        var cubic = TReal.CreateChecked(0.044715);
        for (var i = 0; i < inp.Length; i++)
        {
            var x = inp[i];
            var tanh = TReal.Tanh(GeluArgument(x));
            var sech2 = TReal.One - tanh * tanh;
            var local = Half<TReal>() * (TReal.One + tanh)
                + Half<TReal>() * x * sech2 * sqrt2OverPi * (TReal.One + TReal.CreateChecked(3) * cubic * x * x);
            dinp[i] += local * dout[i];
        }
    }

    /// <summary>Twin of <see cref="Residual.Forward"/>.</summary>
    public static void ResidualForward<TReal>(Span<TReal> output, ReadOnlySpan<TReal> a, ReadOnlySpan<TReal> b)
        where TReal : IFloatingPointIeee754<TReal>
    {
        for (var i = 0; i < output.Length; i++)
            output[i] = a[i] + b[i];
    }

    /// <summary>Twin of <see cref="Residual.Backward"/>; accumulates into da and db.</summary>
    public static void ResidualBackward<TReal>(Span<TReal> da, Span<TReal> db, ReadOnlySpan<TReal> dout)
        where TReal : IFloatingPointIeee754<TReal>
    {
        for (var i = 0; i < dout.Length; i++)
        {
            da[i] += dout[i];
            db[i] += dout[i];
        }
    }

    /// <summary>Twin of <see cref="Embedding.Forward(Span{float}, ReadOnlySpan{int}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, int, ComputeOptions?)"/>.</summary>
    public static void EmbeddingForward<TReal>(Span<TReal> output, ReadOnlySpan<int> tokens, ReadOnlySpan<TReal> wte,
        ReadOnlySpan<TReal> wpe, int B, int T, int C)
        where TReal : IFloatingPointIeee754<TReal>
    {
        for (var n = 0; n < B * T; n++)
            EmbedRow(output.Slice(n * C, C), tokens[n], n % T, wte, wpe);
    }

    /// <summary>Twin of the explicit-position (decode) overload of <see cref="Embedding"/>'s Forward.</summary>
    public static void EmbeddingForward<TReal>(Span<TReal> output, ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions,
        ReadOnlySpan<TReal> wte, ReadOnlySpan<TReal> wpe, int C)
        where TReal : IFloatingPointIeee754<TReal>
    {
        for (var n = 0; n < tokens.Length; n++)
            EmbedRow(output.Slice(n * C, C), tokens[n], positions[n], wte, wpe);
    }

    /// <summary>Twin of <see cref="Embedding.Backward"/>; accumulates into dwte (V, C) and dwpe (maxT, C).</summary>
    public static void EmbeddingBackward<TReal>(Span<TReal> dwte, Span<TReal> dwpe, ReadOnlySpan<TReal> dout,
        ReadOnlySpan<int> tokens, int B, int T, int C)
        where TReal : IFloatingPointIeee754<TReal>
    {
        for (var n = 0; n < B * T; n++)
        {
            for (var c = 0; c < C; c++)
            {
                dwte[tokens[n] * C + c] += dout[n * C + c];
                dwpe[n % T * C + c] += dout[n * C + c];
            }
        }
    }

    /// <summary>Twin of <see cref="SoftmaxCrossEntropy.Forward"/>: per-row losses and their mean over counted rows.</summary>
    public static TReal SoftmaxCrossEntropyForward<TReal>(Span<TReal> losses, ReadOnlySpan<TReal> logits, ReadOnlySpan<int> targets,
        int N, int V, int Vp)
        where TReal : IFloatingPointIeee754<TReal>
    {
        var (sum, count) = (TReal.Zero, 0);
        for (var n = 0; n < N; n++)
        {
            losses[n] = TReal.Zero;
            if (targets[n] == SoftmaxCrossEntropy.IgnoreIndex)
                continue;
            var (max, sumExp) = MaxAndSumExp(logits.Slice(n * Vp, V));
            losses[n] = TReal.Log(sumExp) + max - logits[n * Vp + targets[n]];
            sum += losses[n];
            count++;
        }

        return count == 0 ? TReal.Zero : sum / TReal.CreateChecked(count);
    }

    /// <summary>Twin of <see cref="SoftmaxCrossEntropy.Backward"/>; overwrites dlogits (N, Vp).</summary>
    public static void SoftmaxCrossEntropyBackward<TReal>(Span<TReal> dlogits, ReadOnlySpan<TReal> logits, ReadOnlySpan<int> targets,
        int N, int V, int Vp)
        where TReal : IFloatingPointIeee754<TReal>
    {
        var count = 0;
        foreach (var target in targets)
            count += target == SoftmaxCrossEntropy.IgnoreIndex ? 0 : 1;
        for (var n = 0; n < N; n++)
        {
            var row = dlogits.Slice(n * Vp, Vp);
            if (targets[n] == SoftmaxCrossEntropy.IgnoreIndex)
            {
                row.Clear();
                continue;
            }

            var (max, sumExp) = MaxAndSumExp(logits.Slice(n * Vp, V));
            for (var v = 0; v < Vp; v++)
            {
                var p = v < V ? TReal.Exp(logits[n * Vp + v] - max) / sumExp : TReal.Zero;
                var indicator = v == targets[n] ? TReal.One : TReal.Zero;
                row[v] = v < V ? (p - indicator) / TReal.CreateChecked(count) : TReal.Zero;
            }
        }
    }

    /// <summary>Twin of <see cref="SoftmaxCrossEntropy.Softmax"/>: probs (N, Vp), 0 in the padded columns.</summary>
    public static void Softmax<TReal>(Span<TReal> probs, ReadOnlySpan<TReal> logits, int N, int V, int Vp)
        where TReal : IFloatingPointIeee754<TReal>
    {
        for (var n = 0; n < N; n++)
        {
            var (max, sumExp) = MaxAndSumExp(logits.Slice(n * Vp, V));
            for (var v = 0; v < Vp; v++)
                probs[n * Vp + v] = v < V ? TReal.Exp(logits[n * Vp + v] - max) / sumExp : TReal.Zero;
        }
    }

    private static TReal Half<TReal>()
        where TReal : IFloatingPointIeee754<TReal> => TReal.One / TReal.CreateChecked(2);

    private static TReal GeluArgument<TReal>(TReal x)
        where TReal : IFloatingPointIeee754<TReal> =>
        TReal.Sqrt(TReal.CreateChecked(2) / TReal.Pi) * (x + TReal.CreateChecked(0.044715) * x * x * x);

    private static void EmbedRow<TReal>(Span<TReal> output, int token, int position, ReadOnlySpan<TReal> wte, ReadOnlySpan<TReal> wpe)
        where TReal : IFloatingPointIeee754<TReal>
    {
        var C = output.Length;
        for (var c = 0; c < C; c++)
            output[c] = wte[token * C + c] + wpe[position * C + c];
    }

    private static (TReal Max, TReal SumExp) MaxAndSumExp<TReal>(ReadOnlySpan<TReal> row)
        where TReal : IFloatingPointIeee754<TReal>
    {
        var max = TReal.NegativeInfinity;
        foreach (var x in row)
            max = TReal.Max(max, x);
        var sumExp = TReal.Zero;
        foreach (var x in row)
            sumExp += TReal.Exp(x - max);
        return (max, sumExp);
    }
}
