using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// The GPT-2 input embedding: token embedding plus learned position embedding,
/// <c>out[n,:] = wte[tokens[n],:] + wpe[position(n),:]</c>.
/// </summary>
/// <remarks>
/// Training batches are (B, T) with position <c>t = n mod T</c>; decode batches hold sequences of different lengths,
/// so that variant takes each row's position explicitly. The backward pass scatters rows into the tables, and a
/// token may repeat within a batch; rather than per-thread copies of <c>dwte</c>, threads split the channels and each
/// adds the rows in row order, so the result is bit-identical for any thread count and equals the plain loop.
/// </remarks>
public static class Embedding
{
    /// <summary>Embeds a (B, T) batch of token ids at positions 0..T−1.</summary>
    /// <param name="output">(B, T, C) embeddings.</param>
    /// <param name="tokens">(B, T) token ids in [0, V).</param>
    /// <param name="wte">(V, C) token embedding table.</param>
    /// <param name="wpe">(maxT, C) position embedding table, maxT ≥ T.</param>
    /// <param name="B">Batch size.</param>
    /// <param name="T">Sequence length.</param>
    /// <param name="C">Channels.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<int> tokens, ReadOnlySpan<float> wte, ReadOnlySpan<float> wpe,
        int B, int T, int C, ComputeOptions? options = null)
    {
        CheckBatch(tokens, B, T);
        Forward(output, tokens, default, T, wte, wpe, C, options);
    }

    /// <summary>Embeds one token per row at an explicit position: the decode step, where each row is a different
    /// sequence with its own length.</summary>
    /// <param name="output">(N, C) embeddings.</param>
    /// <param name="tokens">(N) token ids in [0, V).</param>
    /// <param name="positions">(N) positions in [0, maxT).</param>
    /// <param name="wte">(V, C) token embedding table.</param>
    /// <param name="wpe">(maxT, C) position embedding table.</param>
    /// <param name="C">Channels.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions,
        ReadOnlySpan<float> wte, ReadOnlySpan<float> wpe, int C, ComputeOptions? options = null)
    {
        if (positions.Length != tokens.Length)
            throw new ArgumentException("tokens and positions must have the same length.", nameof(positions));
        Forward(output, tokens, positions, 0, wte, wpe, C, options);
    }

    /// <summary>Accumulates <c>dwte[tokens[n],:] += dout[n,:]</c> and <c>dwpe[t,:] += dout[n,:]</c>.</summary>
    /// <param name="dwte">(V, C) token embedding gradient, accumulated.</param>
    /// <param name="dwpe">(maxT, C) position embedding gradient, accumulated.</param>
    /// <param name="dout">(B, T, C) output gradient.</param>
    /// <param name="tokens">(B, T) token ids in [0, V).</param>
    /// <param name="B">Batch size.</param>
    /// <param name="T">Sequence length.</param>
    /// <param name="C">Channels.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static unsafe void Backward(Span<float> dwte, Span<float> dwpe, ReadOnlySpan<float> dout, ReadOnlySpan<int> tokens,
        int B, int T, int C, ComputeOptions? options = null)
    {
        CheckBatch(tokens, B, T);
        CheckRows(dout, tokens, default, T, dwte, dwpe, C);
        fixed (float* pDwte = dwte, pDwpe = dwpe, pDout = dout)
        fixed (int* pTokens = tokens)
        {
            ParallelRows.For(C, 2L * tokens.Length, options,
                new BackwardKernel(pDwte, pDwpe, pDout, pTokens, tokens.Length, T, C), Vector512<float>.Count);
        }
    }

    private static unsafe void Forward(Span<float> output, ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, int T,
        ReadOnlySpan<float> wte, ReadOnlySpan<float> wpe, int C, ComputeOptions? options)
    {
        CheckRows(output, tokens, positions, T, wte, wpe, C);
        fixed (float* pOut = output, pWte = wte, pWpe = wpe)
        fixed (int* pTokens = tokens, pPositions = positions)
        {
            ParallelRows.For(tokens.Length, 3L * C, options, new ForwardKernel(pOut, pTokens, pPositions, T, pWte, pWpe, C));
        }
    }

    private static void CheckBatch(ReadOnlySpan<int> tokens, int B, int T)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(B);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(T);
        if (tokens.Length != (long)B * T)
            throw new ArgumentException($"tokens must be (B, T) = ({B}, {T}).", nameof(tokens));
    }

    /// <summary>Checks the buffers and every index up front: the kernels index the tables through raw pointers.</summary>
    private static void CheckRows(ReadOnlySpan<float> rows, ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, int T,
        ReadOnlySpan<float> wte, ReadOnlySpan<float> wpe, int C)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(C);
        if (rows.Length != (long)tokens.Length * C)
            throw new ArgumentException($"the activations must be ({tokens.Length}, {C}).");
        if (wte.Length % C != 0 || wpe.Length % C != 0)
            throw new ArgumentException($"wte and wpe must be whole rows of C = {C}.");
        var (vocab, maxT) = (wte.Length / C, wpe.Length / C);
        if (positions.IsEmpty && T > maxT)
            throw new ArgumentException($"wpe has {maxT} positions, fewer than T = {T}.", nameof(wpe));
        for (var n = 0; n < tokens.Length; n++)
        {
            if ((uint)tokens[n] >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[n], $"token at row {n} is outside [0, {vocab}).");
            if (!positions.IsEmpty && (uint)positions[n] >= (uint)maxT)
                throw new ArgumentOutOfRangeException(nameof(positions), positions[n], $"position at row {n} is outside [0, {maxT}).");
        }
    }

    /// <summary>Row n's position: explicit when <paramref name="positions"/> is given, else <c>n mod T</c>.</summary>
    private static unsafe int Position(int* positions, int n, int T) => positions != null ? positions[n] : n % T;

    private readonly unsafe struct ForwardKernel(float* output, int* tokens, int* positions, int T, float* wte, float* wpe, int C)
        : IRangeKernel
    {
        public void Execute(int start, int end)
        {
            for (var n = start; n < end; n++)
            {
                Residual.Add(new Span<float>(output + (long)n * C, C),
                    new ReadOnlySpan<float>(wte + (long)tokens[n] * C, C),
                    new ReadOnlySpan<float>(wpe + (long)Position(positions, n, T) * C, C));
            }
        }
    }

    /// <summary>Owns channels [start, end) of both tables and adds every row into them in row order.</summary>
    private readonly unsafe struct BackwardKernel(float* dwte, float* dwpe, float* dout, int* tokens, int N, int T, int C)
        : IRangeKernel
    {
        public void Execute(int start, int end)
        {
            var width = end - start;
            for (var n = 0; n < N; n++)
            {
                var g = new ReadOnlySpan<float>(dout + (long)n * C + start, width);
                var tokenRow = new Span<float>(dwte + (long)tokens[n] * C + start, width);
                var positionRow = new Span<float>(dwpe + (long)(n % T) * C + start, width);
                Residual.Add(tokenRow, tokenRow, g);
                Residual.Add(positionRow, positionRow, g);
            }
        }
    }
}
