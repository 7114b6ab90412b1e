using System.Buffers;
using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// The global L2 norm of the gradients and clipping by it (PyTorch's <c>clip_grad_norm_</c>). The sum of squares is
/// taken in double over fixed chunks of <see cref="ChunkSize"/> elements, each with a fixed lane order, and the chunk
/// sums are added in buffer order: the norm is the same bits for any thread count and on any CPU.
/// </summary>
public static unsafe class GradientNorm
{
    /// <summary>Elements per partial sum; fixed, so the rounding never depends on the thread count.</summary>
    public const int ChunkSize = 1 << 14;

    /// <summary>√(Σ g²) over <paramref name="ranges"/> (null = the whole buffer), accumulated in double.</summary>
    /// <param name="grads">(P) the flat gradient buffer.</param>
    /// <param name="ranges">The slices that count, e.g. one model's tensors; null counts every element.</param>
    /// <param name="options">Threads; the result does not depend on them.</param>
    public static float Global(ReadOnlySpan<float> grads, IReadOnlyList<ParameterRange>? ranges = null, ComputeOptions? options = null)
    {
        ranges ??= [new ParameterRange(0, grads.Length)];
        var partialCount = 0;
        foreach (var range in ranges)
        {
            CheckInside(range, grads.Length);
            partialCount += (range.Length + ChunkSize - 1) / ChunkSize;
        }

        var partials = ArrayPool<double>.Shared.Rent(partialCount);
        try
        {
            fixed (float* g = grads)
            {
                FillPartials((nint)g, ranges, partials, (options ?? ComputeOptions.Default).Threads);
            }

            var sum = 0.0;
            for (var i = 0; i < partialCount; i++)
            {
                sum += partials[i];
            }

            return (float)Math.Sqrt(sum);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(partials);
        }
    }

    /// <summary>
    /// Scales the gradients in <paramref name="ranges"/> by min(1, maxNorm / (norm + 1e-6)), computed in float as
    /// PyTorch does; a non-finite norm makes the coefficient NaN and so the gradients NaN, as PyTorch's default
    /// <c>error_if_nonfinite=False</c> does. Returns the norm before clipping (what a trainer logs).
    /// </summary>
    /// <param name="grads">(P) the flat gradient buffer, scaled in place.</param>
    /// <param name="maxNorm">The largest norm allowed.</param>
    /// <param name="ranges">The slices that count and are scaled; null means every element.</param>
    /// <param name="options">Threads for the norm; the result does not depend on them.</param>
    public static float ClipInPlace(Span<float> grads, float maxNorm, IReadOnlyList<ParameterRange>? ranges = null, ComputeOptions? options = null)
    {
        var norm = Global(grads, ranges, options);
        var coefficient = maxNorm / (norm + 1e-6f);
        if (coefficient >= 1f)
        {
            return norm;
        }

        foreach (var range in ranges ?? [new ParameterRange(0, grads.Length)])
        {
            var slice = grads.Slice(range.Offset, range.Length);
            for (var i = 0; i < slice.Length; i++)
            {
                slice[i] *= coefficient;
            }
        }

        return norm;
    }

    private static void FillPartials(nint grads, IReadOnlyList<ParameterRange> ranges, double[] partials, int threads)
    {
        var first = 0;
        foreach (var range in ranges)
        {
            var chunks = (range.Length + ChunkSize - 1) / ChunkSize;
            var (offset, length, slot) = (range.Offset, range.Length, first);
            void Chunk(int c)
            {
                var start = c * ChunkSize;
                partials[slot + c] = SumOfSquares((float*)grads + offset + start, Math.Min(ChunkSize, length - start));
            }

            if (threads <= 1 || chunks <= 1)
            {
                for (var c = 0; c < chunks; c++)
                {
                    Chunk(c);
                }
            }
            else
            {
                Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, Chunk);
            }

            first += chunks;
        }
    }

    /// <summary>
    /// Σ x² in double with eight fixed lanes (<see cref="Vector256{T}"/> arithmetic is IEEE per lane whether or not
    /// the CPU accelerates it), then a fixed pairwise fold and a sequential tail.
    /// </summary>
    internal static double SumOfSquares(float* x, int n)
    {
        var low = Vector256<double>.Zero;
        var high = Vector256<double>.Zero;
        var i = 0;
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var (a, b) = Vector256.Widen(Vector256.Load(x + i));
            low += a * a;
            high += b * b;
        }

        var lanes = low + high;
        var sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        for (; i < n; i++)
        {
            sum += (double)x[i] * x[i];
        }

        return sum;
    }

    private static void CheckInside(ParameterRange range, int length)
    {
        if (range.Offset < 0 || range.Length < 0 || range.End > length)
        {
            throw new ArgumentException($"Range [{range.Offset}, {range.End}) lies outside the {length} gradients.", nameof(range));
        }
    }
}
