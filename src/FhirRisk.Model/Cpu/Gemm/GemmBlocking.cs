using System.Runtime.Intrinsics;

namespace FhirRisk.Model.Cpu;

/// <summary>
/// Cache blocking for one micro-kernel (BLIS notation, Van Zee and van de Geijn 2015): an MR×NR tile of C lives in
/// registers; a KC×NR micro-panel of packed B stays in L1 while the MC×KC block of packed A (L2) streams past it;
/// the KC×NC panel of packed B sits in L3. For the 8×32 kernel that is 32 KB of B in a 48 KB L1, 144 KB of A in a
/// 1 MB L2 and up to 4 MB of B per thread in L3 (Zen 5). On the 2-core machine KC from 192 to 512 and MC from 96 to
/// 240 measured within noise (±10%) of each other; the micro-kernel alone runs at ~210 GFLOP/s of a core's ~225.
/// </summary>
internal readonly record struct GemmBlocking(int MR, int NR, int KC, int MC, int NC)
{
    public static GemmKernel Best => Vector512.IsHardwareAccelerated ? GemmKernel.Vector512 : GemmKernel.Vector256;

    public static GemmBlocking For(GemmKernel kernel) => kernel switch
    {
        GemmKernel.Vector512 => new(MicroKernel512.MR, MicroKernel512.NR, KC: 256, MC: 18 * MicroKernel512.MR, NC: 4096),
        GemmKernel.Vector256 => new(MicroKernel256.MR, MicroKernel256.NR, KC: 256, MC: 24 * MicroKernel256.MR, NC: 4096),
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "Unknown GEMM kernel."),
    };

    /// <summary>
    /// The K blocks: as few as KC allows, of near-equal length so no block is a sliver. They depend on K alone, never
    /// on the thread count or the tile, which is what makes every element's rounding the same however work is split.
    /// </summary>
    public int BlockLength(int k)
    {
        var blocks = (k + KC - 1) / KC;
        return (k + blocks - 1) / blocks;
    }
}
