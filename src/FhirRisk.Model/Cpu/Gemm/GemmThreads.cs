namespace FhirRisk.Model.Cpu;

/// <summary>
/// Splits C into one fixed chunk per thread, along M when it is the larger side (every chunk packs all of B) and
/// along N otherwise, in whole micro-tiles. Chunks share nothing but the read-only operands, so no thread waits
/// on another, and the chunking depends only on the shape and the thread count.
/// </summary>
internal static class GemmThreads
{
    public static void Run(GemmProblem problem, GemmKernel kernel, int threads)
    {
        var blocking = GemmBlocking.For(kernel);
        var alongM = problem.M >= problem.N;
        var (extent, tile) = alongM ? (problem.M, blocking.MR) : (problem.N, blocking.NR);
        var tiles = (extent + tile - 1) / tile;
        var work = (long)problem.M * problem.N * problem.K;
        var chunks = work < Sgemm.ParallelThresholdMacs ? 1 : Math.Clamp(threads, 1, tiles);
        if (chunks == 1)
        {
            RunChunk(problem, kernel);
            return;
        }

        RunChunks(problem, kernel, alongM, extent, chunkLength: (tiles + chunks - 1) / chunks * tile);
    }

    /// <summary>Kept apart from <see cref="Run"/> so the one-thread path does not allocate the lambda's closure.</summary>
    private static void RunChunks(GemmProblem problem, GemmKernel kernel, bool alongM, int extent, int chunkLength)
    {
        var chunks = (extent + chunkLength - 1) / chunkLength;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, chunk =>
        {
            var start = chunk * chunkLength;
            var length = Math.Min(chunkLength, extent - start);
            RunChunk(alongM ? problem.Rows(start, length) : problem.Columns(start, length), kernel);
        });
    }

    private static void RunChunk(in GemmProblem problem, GemmKernel kernel)
    {
        var scratch = GemmScratch.Rent();
        try
        {
            GemmDriver.Run(problem, kernel, scratch);
        }
        finally
        {
            GemmScratch.Return(scratch);
        }
    }
}
