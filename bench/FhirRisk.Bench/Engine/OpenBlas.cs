using System.Runtime.InteropServices;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Engine;

/// <summary>
/// OpenBLAS loaded at run time: <c>cblas_sgemm</c> and its thread controls, through function pointers so the
/// benchmark decides when the library loads (after fixing the environment it reads) and can install it first.
/// </summary>
internal sealed unsafe partial class OpenBlas
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;

    private static readonly string[] s_candidates =
    [
        "libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
    ];

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> _sgemm;
    private readonly delegate* unmanaged<int, void> _setNumThreads;

    private OpenBlas(nint library, string path, string? coreTypeOverride)
    {
        Path = path;
        _sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(library, "cblas_sgemm");
        _setNumThreads = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(library, "openblas_set_num_threads");
        var coreName = (delegate* unmanaged<sbyte*>)NativeLibrary.GetExport(library, "openblas_get_corename");
        var config = (delegate* unmanaged<sbyte*>)NativeLibrary.GetExport(library, "openblas_get_config");
        CoreName = new string(coreName());
        Config = new string(config());
        CoreTypeOverride = coreTypeOverride;
    }

    public string Path { get; }

    /// <summary>The kernel family OpenBLAS picked for this CPU (<c>Cooperlake</c>, <c>Haswell</c>, …).</summary>
    public string CoreName { get; }

    public string Config { get; }

    /// <summary>The <c>OPENBLAS_CORETYPE</c> found in the environment and removed before loading, if any.</summary>
    public string? CoreTypeOverride { get; }

    /// <summary>
    /// Loads OpenBLAS with <paramref name="threads"/> threads, installing it with apt-get when it is missing.
    /// <c>OPENBLAS_CORETYPE</c> is removed from the process environment first: this machine's environment forces
    /// <c>Haswell</c> (AVX2), which halves OpenBLAS's speed (compute-engine-measurements §B), and the peer must run
    /// at its best. The native environment is edited with <c>unsetenv</c> because OpenBLAS reads it with
    /// <c>getenv</c> when it loads, not through .NET.
    /// </summary>
    public static OpenBlas Load(int threads, TextWriter output)
    {
        var coreType = Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE");
        if (coreType is not null)
            _ = Unsetenv("OPENBLAS_CORETYPE");
        _ = Setenv("OPENBLAS_NUM_THREADS", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), 1);

        if (!TryLoad(out var library, out var path))
        {
            OpenBlasInstaller.Install(output);
            if (!TryLoad(out library, out path))
                throw new BenchmarkException("libopenblas.so.0 is still not loadable after installing libopenblas0-pthread. Hint: apt-get install -y libopenblas-dev.");
        }

        var openBlas = new OpenBlas(library, path, coreType);
        openBlas._setNumThreads(threads);
        return openBlas;
    }

    public void SetThreads(int threads) => _setNumThreads(threads);

    /// <summary>C = alpha·op(A)·op(B) + beta·C, row-major, the same arguments as <see cref="FhirRisk.Model.Cpu.Sgemm"/>.</summary>
    public void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        fixed (float* pa = a, pb = b, pc = c)
            _sgemm(RowMajor, transposeA ? Trans : NoTrans, transposeB ? Trans : NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    private static bool TryLoad(out nint library, out string path)
    {
        foreach (var candidate in s_candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out library))
            {
                path = candidate;
                return true;
            }
        }

        library = 0;
        path = "";
        return false;
    }

    [LibraryImport("libc", EntryPoint = "unsetenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Unsetenv(string name);

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Setenv(string name, string value, int overwrite);
}
