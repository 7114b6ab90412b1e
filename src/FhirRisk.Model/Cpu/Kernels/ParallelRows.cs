namespace FhirRisk.Model.Cpu;

/// <summary>
/// The work of one kernel call over a half-open range of items (rows, or channels for the reductions).
/// Implemented by small structs that hold raw pointers, because spans cannot be captured by the worker delegate.
/// </summary>
internal interface IRangeKernel
{
    /// <summary>Processes items <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive).</summary>
    void Execute(int start, int end);
}

/// <summary>
/// Fixed chunking of a kernel over items: the range is cut into at most <see cref="ComputeOptions.Threads"/>
/// contiguous chunks whose boundaries depend only on the item count and the thread count, never on timing.
/// </summary>
/// <remarks>
/// Kernels keep every output element owned by exactly one chunk and reduce in a fixed order inside it, so results
/// are identical run to run. Small calls (a decode step over a few rows) run on the caller: a <c>Parallel.For</c>
/// costs microseconds, more than the work below <see cref="MinElementsPerChunk"/>.
/// </remarks>
internal static class ParallelRows
{
    /// <summary>Fewest elements (items × elements per item) worth handing to another thread.</summary>
    internal const long MinElementsPerChunk = 1 << 15;

    /// <summary>Runs <paramref name="kernel"/> over <c>[0, count)</c>, split into fixed chunks.</summary>
    /// <param name="count">Number of items.</param>
    /// <param name="elementsPerItem">Elements each item touches; sizes the chunks.</param>
    /// <param name="options">Thread budget; <see cref="ComputeOptions.Default"/> when null.</param>
    /// <param name="kernel">The work; copied once per worker.</param>
    /// <param name="grain">Chunk boundaries are multiples of this (a SIMD width keeps vector loops whole).</param>
    /// <param name="chunksPerThread">More than 1 cuts finer chunks that the threads take as they finish, so a core
    /// slowed by another process holds the call up less; only for kernels whose items are independent (each owns its
    /// output and sums nothing across items), whose results then do not depend on the chunking at all.</param>
    public static void For<TKernel>(int count, long elementsPerItem, ComputeOptions? options, TKernel kernel, int grain = 1, int chunksPerThread = 1)
        where TKernel : struct, IRangeKernel
    {
        var threads = Math.Max(1, (options ?? ComputeOptions.Default).Threads);
        var worthwhile = (long)count * elementsPerItem / MinElementsPerChunk;
        var chunks = (int)Math.Clamp(Math.Min(worthwhile, (count + grain - 1) / grain), 1, (long)threads * chunksPerThread);
        if (chunks == 1)
        {
            kernel.Execute(0, count);
            return;
        }

        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(chunks, threads) },
            chunk => kernel.Execute(Boundary(chunk, chunks, count, grain), Boundary(chunk + 1, chunks, count, grain)));
    }

    private static int Boundary(int chunk, int chunks, int count, int grain)
    {
        var start = (int)((long)count * chunk / chunks);
        return Math.Min(count, (start + grain - 1) / grain * grain);
    }
}
