using System.Globalization;
using System.Runtime.Intrinsics.X86;

namespace FhirRisk.Bench.Engine;

/// <summary>
/// How the PyTorch peer is launched: the library settings that made PyTorch 1.13 fastest on this machine
/// (compute-engine-measurements §A, rechecked for the whole model in docs/benchmarks.md), printed with the results.
/// The split of the thread budget between ATen and OpenBLAS is chosen by the peer itself, by timing both.
/// </summary>
/// <param name="Threads">The thread budget, the same as ours: ATen's OpenMP pool and OpenBLAS's pthreads are each
/// sized to it, and the peer runs one of them at 1 (both at the budget oversubscribe the cores, 2–3× slower).</param>
/// <param name="Blas">The OpenBLAS build of <c>libblas.so.3</c>, preloaded: Debian's torch links the generic
/// <c>libblas.so.3</c>, which is the reference BLAS (6 GFLOP/s) unless the alternative points to OpenBLAS.</param>
/// <param name="CpuCapability">ATen's kernel family (<c>ATEN_CPU_CAPABILITY</c>); 1.13 picks AVX2 by default.</param>
/// <param name="Gpu">On a GPU: the device and the Python whose PyTorch drives it; null on the CPU.</param>
internal sealed record TorchPeerSetup(int Threads, string Blas, string? CpuCapability, string? Gpu = null)
{
    /// <summary>
    /// glibc malloc told to take every block from the heap (no <c>mmap</c>) and never give memory back. Eager PyTorch
    /// allocates and frees tensors of up to 268 MB (the attention scores) every step; by default glibc maps and unmaps
    /// them each time, and the page faults of this virtual machine then cost PyTorch 3–6× in training (measured:
    /// 2.6–4.8 s a step instead of 10–23 s; jemalloc, even told to keep its pages, 5–13 s).
    /// </summary>
    private static readonly string[] s_allocator =
    [
        "MALLOC_MMAP_MAX_=0",
        "MALLOC_TRIM_THRESHOLD_=100000000000",
        "MALLOC_TOP_PAD_=1000000000",
    ];

    public string ThreadsText => Threads.ToString(CultureInfo.InvariantCulture);

    public static TorchPeerSetup Fastest(int threads, string blas) => new(threads, blas, Avx512F.IsSupported ? "avx512" : null);

    /// <summary>PyTorch on a GPU: the CPU library settings do not apply (the peer's host threads only launch kernels).</summary>
    public static TorchPeerSetup OnGpu(int threads, string python, string device) => new(threads, "", null, $"{device} with {python}'s PyTorch");

    /// <summary>The arguments of <c>env</c> that launch the peer: <c>OPENBLAS_CORETYPE</c> removed (this machine's
    /// environment forces Haswell, half of OpenBLAS's speed), then the settings.</summary>
    public IEnumerable<string> EnvArguments()
    {
        if (Gpu is not null)
        {
            yield return "OMP_NUM_THREADS=" + ThreadsText;
            yield break;
        }

        yield return "-u";
        yield return "OPENBLAS_CORETYPE";
        yield return "OPENBLAS_NUM_THREADS=" + ThreadsText;
        yield return "OMP_NUM_THREADS=" + ThreadsText;
        yield return "LD_PRELOAD=" + Blas;
        if (CpuCapability is not null)
            yield return "ATEN_CPU_CAPABILITY=" + CpuCapability;
        foreach (var setting in s_allocator)
            yield return setting;
    }

    public string Describe() => Gpu is not null ? $"on {Gpu}, {ThreadsText} host threads" :
        $"budget {ThreadsText} threads split between ATen and OpenBLAS by the peer, OpenBLAS preloaded ({Blas}), " +
        $"OPENBLAS_CORETYPE unset, ATEN_CPU_CAPABILITY={CpuCapability ?? "(default)"}, glibc malloc with {string.Join(' ', s_allocator)}";
}
