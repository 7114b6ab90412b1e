using System.Security.Cryptography;
using FhirRisk.Testing;

namespace FhirRisk.Model.Torch.Tests;

/// <summary>
/// Makes libfhirrisk_torch.so available to the tests on a fresh machine: builds it once with native/build.sh into a
/// folder beside the test binaries (serialized across test processes by a file lock; rebuilt when a source under
/// native/ changes) and points <c>FHIRRISK_TORCH_NATIVE</c> at it. A library named by <c>FHIRRISK_TORCH_NATIVE</c>
/// beforehand is used as is (the GPU machine recipe). Without libtorch the tests skip, unless
/// <c>FHIRRISK_REQUIRE_TORCH=1</c> (CI), which makes them run and fail.
/// </summary>
internal static class TorchNative
{
    public const string RequireVariable = "FHIRRISK_REQUIRE_TORCH";
    private const string LibraryVariable = "FHIRRISK_TORCH_NATIVE";
    private const int MissingPrerequisite = 2;
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LockWait = TimeSpan.FromMinutes(6);
    private static readonly Lazy<string> Library = new(BuildOnce);

    /// <summary>Why the Torch tests skip here; null when they run.</summary>
    public static string? SkipReason { get; } = FindSkipReason();

    private static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>The path of a built library, building it first if needed; sets <c>FHIRRISK_TORCH_NATIVE</c>.</summary>
    public static string EnsureBuilt() => Library.Value;

    private static string? FindSkipReason()
    {
        if (Required || PrebuiltLibrary() is not null)
            return null;
        if (!OnPath("cmake") || !OnPath("c++"))
            return "cmake or a C++ compiler is missing, so the Torch shim cannot be built (apt-get install cmake g++); " +
                $"{RequireVariable}=1 turns this skip into a failure.";
        if (!TorchConfigFiles().Any(File.Exists))
            return "libtorch is not installed (apt-get install libtorch-dev libopenblas-dev), or set " +
                $"{LibraryVariable} to a built libfhirrisk_torch.so; {RequireVariable}=1 turns this skip into a failure.";
        return null;
    }

    private static string? PrebuiltLibrary() =>
        Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } path && File.Exists(path) ? path : null;

    private static IEnumerable<string> TorchConfigFiles()
    {
        if (Environment.GetEnvironmentVariable("Torch_DIR") is { Length: > 0 } torchDir)
            yield return Path.Combine(torchDir, "TorchConfig.cmake");
        foreach (var lib in new[] { "/usr/lib", "/usr/local/lib" }.Where(Directory.Exists))
        {
            yield return Path.Combine(lib, "cmake", "Torch", "TorchConfig.cmake");
            foreach (var multiarch in Directory.EnumerateDirectories(lib, "*-linux-gnu"))
                yield return Path.Combine(multiarch, "cmake", "Torch", "TorchConfig.cmake");
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, tool)));

    private static string BuildOnce()
    {
        var library = PrebuiltLibrary() ?? BuildIntoCache();
        Environment.SetEnvironmentVariable(LibraryVariable, library);
        return library;
    }

    private static string BuildIntoCache()
    {
        var native = RepositoryPaths.Combine("native");
        var cache = Path.Combine(AppContext.BaseDirectory, "torch-native");
        var library = Path.Combine(cache, "libfhirrisk_torch.so");
        var stampFile = Path.Combine(cache, "sources.sha256");
        var stamp = SourceHash(native);
        if (IsCurrent(library, stampFile, stamp))
            return library;

        Directory.CreateDirectory(cache);
        using var fileLock = AcquireLock(cache + ".lock");
        if (IsCurrent(library, stampFile, stamp)) // another test process built it while we waited
            return library;
        var result = ExternalProcess.Run("bash", [Path.Combine(native, "build.sh"), cache], native, BuildTimeout);
        if (result.ExitCode == MissingPrerequisite)
            throw new InvalidOperationException($"The Torch shim cannot be built here ({RequireVariable}=1 or a prerequisite vanished):\n{result.StandardError}");
        if (result.ExitCode != 0 || !File.Exists(library))
            throw new InvalidOperationException($"native/build.sh failed (exit {result.ExitCode}):\n{result.StandardError}");
        File.WriteAllText(stampFile, stamp);
        return library;
    }

    private static bool IsCurrent(string library, string stampFile, string stamp) =>
        File.Exists(library) && File.Exists(stampFile) && File.ReadAllText(stampFile) == stamp;

    /// <summary>A hash over the shim's sources (not its build folders), so an edited kernel is rebuilt.</summary>
    private static string SourceHash(string native)
    {
        var files = new[] { "CMakeLists.txt", "build.sh" }.Select(f => Path.Combine(native, f))
            .Concat(Directory.EnumerateFiles(Path.Combine(native, "include")))
            .Concat(Directory.EnumerateFiles(Path.Combine(native, "src")))
            .Order(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(native, file)));
            hash.AppendData(File.ReadAllBytes(file));
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static FileStream AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow + LockWait;
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive advisory lock (flock) on Unix, held until the stream is disposed.
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }
}
