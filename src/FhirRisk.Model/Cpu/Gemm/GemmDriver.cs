namespace FhirRisk.Model.Cpu;

/// <summary>
/// The blocked GEMM on one thread (the five loops around the micro-kernel of BLIS): for each NC-wide panel of
/// columns and each KC-deep block of K, pack B once; for each MC-tall block of rows, pack A and sweep the
/// micro-kernel over the MR×NR tiles. Element C[i,j] is always built from the same K blocks in the same order, so
/// its value does not depend on where the tile starts, which is what lets callers split C freely across threads.
/// </summary>
internal static unsafe class GemmDriver
{
    public static void Run(in GemmProblem problem, GemmKernel kernel, GemmScratch scratch)
    {
        var blocking = GemmBlocking.For(kernel);
        var kcMax = blocking.BlockLength(problem.K);
        var ncMax = Math.Min(blocking.NC, RoundUp(problem.N, blocking.NR));
        var mcMax = Math.Min(blocking.MC, RoundUp(problem.M, blocking.MR));
        scratch.Ensure(mcMax * kcMax, ncMax * kcMax, blocking.MR * blocking.NR);

        for (var jc = 0; jc < problem.N; jc += blocking.NC)
        {
            var nc = Math.Min(blocking.NC, problem.N - jc);
            for (var pc = 0; pc < problem.K; pc += kcMax)
            {
                var kc = Math.Min(kcMax, problem.K - pc);
                // The first K block applies the caller's beta; later blocks add to what the earlier ones wrote.
                var beta = pc == 0 ? problem.Beta : 1f;
                GemmPacking.PackB(problem.B.At(pc, jc), kc, nc, blocking.NR, scratch.PackedB);
                for (var ic = 0; ic < problem.M; ic += blocking.MC)
                {
                    var mc = Math.Min(blocking.MC, problem.M - ic);
                    GemmPacking.PackA(problem.A.At(ic, pc), mc, kc, blocking.MR, scratch.PackedA);
                    var c = problem.C + ic * problem.Ldc + jc;
                    SweepTiles(kernel, blocking, mc, nc, kc, problem.Alpha, beta, c, problem.Ldc, scratch);
                }
            }
        }
    }

    /// <summary>Runs the micro-kernel on every MR×NR tile of an mc×nc block of C (the BLIS macro-kernel).</summary>
    private static void SweepTiles(
        GemmKernel kernel, GemmBlocking blocking, int mc, int nc, int kc, float alpha, float beta, float* c, nint ldc, GemmScratch scratch)
    {
        for (var jr = 0; jr < nc; jr += blocking.NR)
        {
            var nr = Math.Min(blocking.NR, nc - jr);
            var b = scratch.PackedB + (nint)jr * kc;
            for (var ir = 0; ir < mc; ir += blocking.MR)
            {
                var mr = Math.Min(blocking.MR, mc - ir);
                var a = scratch.PackedA + (nint)ir * kc;
                var tile = c + ir * ldc + jr;
                if (mr == blocking.MR && nr == blocking.NR)
                {
                    RunMicroKernel(kernel, kc, a, b, tile, ldc, alpha, beta);
                }
                else
                {
                    // An edge tile: compute the full tile from the zero-padded panels, then merge only its live part.
                    RunMicroKernel(kernel, kc, a, b, scratch.Tile, blocking.NR, 1f, 0f);
                    MergeEdge(scratch.Tile, blocking.NR, tile, ldc, mr, nr, alpha, beta);
                }
            }
        }
    }

    private static void RunMicroKernel(GemmKernel kernel, int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        if (kernel == GemmKernel.Vector512)
            MicroKernel512.Run(kc, a, b, c, ldc, alpha, beta);
        else
            MicroKernel256.Run(kc, a, b, c, ldc, alpha, beta);
    }

    /// <summary>C = beta·C + alpha·tile with the micro-kernel's rounding (one FMA), so edges match interior tiles bit for bit.</summary>
    private static void MergeEdge(float* tile, nint ldt, float* c, nint ldc, int rows, int columns, float alpha, float beta)
    {
        for (var i = 0; i < rows; i++)
        {
            var t = tile + i * ldt;
            var row = c + i * ldc;
            for (var j = 0; j < columns; j++)
            {
                var scaled = alpha * t[j];
                row[j] = beta != 0f ? MathF.FusedMultiplyAdd(beta, row[j], scaled) : scaled;
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
