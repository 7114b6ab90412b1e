using System.Buffers;
using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// Causal multi-head self-attention for training, forward and backward, over llm.c's layout: <c>qkv</c> is (B, T, 3C)
/// with q, k, v side by side in each row, head h owning channels h·HS..(h+1)·HS of each, HS = C / NH; scores are
/// scaled by 1/√HS and position t attends to positions 0..t.
/// </summary>
/// <remarks>
/// <para>
/// Saved state: the blocked FlashAttention-2 scheme (Dao 2023), not llm.c's full probability matrix. Forward saves
/// only <c>stats</c> (B, NH, T), the log-sum-exp of each query row's scaled scores, B·NH·T floats, where llm.c keeps
/// att (B, NH, T, T): at B = 8, NH = 12, T = 2048 that is 786 KB per layer instead of 1.6 GB. Backward recomputes
/// each probability tile from q, k and the log-sum-exp, about one extra Q·Kᵀ product.
/// </para>
/// <para>
/// Work is cut into 64×64 query/key tiles aligned on the diagonal; key tiles wholly in a query tile's future are
/// never touched, so a causal pass does T²/2 + T·32 score entries instead of T². Scratch per worker is pooled:
/// forward 4·(64·HS + 64² + 128) bytes, backward 4·(256·HS + 2·64² + T) bytes.
/// </para>
/// <para>
/// Threads: forward runs one item per (b, h, query tile), backward one per (b, h), split into fixed contiguous
/// chunks by <see cref="ParallelRows"/>. Each item writes only its own rows and channels, and its arithmetic does
/// not depend on which thread runs it, so results are bit-identical run to run and across thread counts.
/// </para>
/// </remarks>
public static class Attention
{
    /// <summary>Computes <c>output</c> and <c>stats</c> from <c>qkv</c>.</summary>
    /// <param name="output">(B, T, C) attention output, concatenated heads; overwritten.</param>
    /// <param name="stats">(B, NH, T) log-sum-exp of each row's scaled scores, saved for <see cref="Backward"/>; overwritten.</param>
    /// <param name="qkv">(B, T, 3C) queries, keys and values.</param>
    /// <param name="B">Sequences.</param>
    /// <param name="T">Positions per sequence.</param>
    /// <param name="C">Channels; a multiple of <paramref name="NH"/>.</param>
    /// <param name="NH">Heads.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static void Forward(Span<float> output, Span<float> stats, ReadOnlySpan<float> qkv, int B, int T, int C, int NH, ComputeOptions? options = null)
    {
        if (Vector512.IsHardwareAccelerated)
            Forward<Vector512<float>, AttentionSimd512>(output, stats, qkv, B, T, C, NH, options);
        else
            Forward<Vector256<float>, AttentionSimd256>(output, stats, qkv, B, T, C, NH, options);
    }

    /// <summary>Accumulates the gradient of the loss with respect to <c>qkv</c>, given its gradient with respect to
    /// <c>output</c> and the forward pass's <c>output</c> and <c>stats</c>.</summary>
    /// <param name="dqkv">(B, T, 3C) gradient of qkv, accumulated (+=); must not overlap the inputs.</param>
    /// <param name="dout">(B, T, C) gradient of the output.</param>
    /// <param name="qkv">(B, T, 3C) the forward pass's input.</param>
    /// <param name="output">(B, T, C) the forward pass's output.</param>
    /// <param name="stats">(B, NH, T) the forward pass's log-sum-exp.</param>
    /// <param name="B">Sequences.</param>
    /// <param name="T">Positions per sequence.</param>
    /// <param name="C">Channels; a multiple of <paramref name="NH"/>.</param>
    /// <param name="NH">Heads.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    public static void Backward(
        Span<float> dqkv, ReadOnlySpan<float> dout, ReadOnlySpan<float> qkv, ReadOnlySpan<float> output, ReadOnlySpan<float> stats,
        int B, int T, int C, int NH, ComputeOptions? options = null)
    {
        if (Vector512.IsHardwareAccelerated)
            Backward<Vector512<float>, AttentionSimd512>(dqkv, dout, qkv, output, stats, B, T, C, NH, options);
        else
            Backward<Vector256<float>, AttentionSimd256>(dqkv, dout, qkv, output, stats, B, T, C, NH, options);
    }

    /// <summary><see cref="Forward"/> at a chosen vector width (the tests run both).</summary>
    internal static unsafe void Forward<TVec, TSimd>(
        Span<float> output, Span<float> stats, ReadOnlySpan<float> qkv, int B, int T, int C, int NH, ComputeOptions? options)
        where TVec : struct
        where TSimd : struct, IAttentionSimd<TVec>
    {
        var shape = new AttentionShape(B, T, C, NH);
        shape.Validate();
        AttentionShape.Require(output.Length, shape.OutputLength, nameof(output));
        AttentionShape.Require(stats.Length, shape.StatsLength, nameof(stats));
        AttentionShape.Require(qkv.Length, shape.QkvLength, nameof(qkv));
        if (output.Overlaps(qkv) || stats.Overlaps(qkv) || stats.Overlaps(output))
            throw new ArgumentException("output, stats and qkv must not overlap.");

        fixed (float* pOut = output, pStats = stats, pQkv = qkv)
        {
            var items = B * NH * shape.Tiles;
            var work = (long)Math.Min(T, AttentionBlocked.Tile) * T * shape.HS;
            ParallelRows.For(items, work, options, new ForwardKernel<TVec, TSimd>(shape, pOut, pStats, pQkv));
        }
    }

    /// <summary><see cref="Backward"/> at a chosen vector width (the tests run both).</summary>
    internal static unsafe void Backward<TVec, TSimd>(
        Span<float> dqkv, ReadOnlySpan<float> dout, ReadOnlySpan<float> qkv, ReadOnlySpan<float> output, ReadOnlySpan<float> stats,
        int B, int T, int C, int NH, ComputeOptions? options)
        where TVec : struct
        where TSimd : struct, IAttentionSimd<TVec>
    {
        var shape = new AttentionShape(B, T, C, NH);
        shape.Validate();
        AttentionShape.Require(dqkv.Length, shape.QkvLength, nameof(dqkv));
        AttentionShape.Require(dout.Length, shape.OutputLength, nameof(dout));
        AttentionShape.Require(qkv.Length, shape.QkvLength, nameof(qkv));
        AttentionShape.Require(output.Length, shape.OutputLength, nameof(output));
        AttentionShape.Require(stats.Length, shape.StatsLength, nameof(stats));
        if (dqkv.Overlaps(dout) || dqkv.Overlaps(qkv) || dqkv.Overlaps(output) || dqkv.Overlaps(stats))
            throw new ArgumentException("dqkv must not overlap the inputs.", nameof(dqkv));

        fixed (float* pDqkv = dqkv, pDout = dout, pQkv = qkv, pOut = output, pStats = stats)
        {
            var work = (long)T * T * shape.HS;
            ParallelRows.For(B * NH, work, options, new BackwardKernel<TVec, TSimd>(shape, pDqkv, pDout, pQkv, pOut, pStats));
        }
    }

    private readonly unsafe struct ForwardKernel<TVec, TSimd>(AttentionShape shape, float* output, float* stats, float* qkv) : IRangeKernel
        where TVec : struct
        where TSimd : struct, IAttentionSimd<TVec>
    {
        public void Execute(int start, int end)
        {
            var scratch = ArrayPool<float>.Shared.Rent(AttentionBlocked.ForwardScratch(shape.HS));
            try
            {
                fixed (float* pScratch = scratch)
                {
                    for (var item = start; item < end; item++)
                    {
                        var (head, tile) = Math.DivRem(item, shape.Tiles);
                        var (b, h) = Math.DivRem(head, shape.NH);
                        AttentionBlocked<TVec, TSimd>.ForwardTile(shape, output, stats, qkv, b, h, tile, pScratch);
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        }
    }

    private readonly unsafe struct BackwardKernel<TVec, TSimd>(AttentionShape shape, float* dqkv, float* dout, float* qkv, float* output, float* stats)
        : IRangeKernel
        where TVec : struct
        where TSimd : struct, IAttentionSimd<TVec>
    {
        public void Execute(int start, int end)
        {
            var scratch = ArrayPool<float>.Shared.Rent(AttentionBlocked.BackwardScratch(shape.HS, shape.T));
            try
            {
                fixed (float* pScratch = scratch)
                {
                    for (var head = start; head < end; head++)
                    {
                        var (b, h) = Math.DivRem(head, shape.NH);
                        AttentionBlocked<TVec, TSimd>.BackwardHead(shape, dqkv, dout, qkv, output, stats, b, h, pScratch);
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        }
    }
}
