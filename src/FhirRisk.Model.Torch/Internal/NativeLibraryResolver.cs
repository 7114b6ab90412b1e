using System.Reflection;
using System.Runtime.InteropServices;

namespace FhirRisk.Model.Torch.Internal;

/// <summary>
/// Finds libfhirrisk_torch.so for <see cref="NativeMethods"/>: first <c>$FHIRRISK_TORCH_NATIVE</c> (the library file or
/// the folder holding it; what the tests and the GPU machine set after building it with native/build.sh), then the
/// folder of this assembly (a publish that carries the library), then the runtime's default probing.
/// </summary>
internal static class NativeLibraryResolver
{
    /// <summary>Names the library file or its folder.</summary>
    public const string EnvironmentVariable = "FHIRRISK_TORCH_NATIVE";

    /// <summary>The file name on Linux.</summary>
    public const string FileName = "libfhirrisk_torch.so";

    private static readonly Lock Gate = new();
    private static bool _registered;

    /// <summary>Why the last explicit candidate failed to load (dlopen's message names a missing dependency).</summary>
    public static string? LastFailure { get; private set; }

    /// <summary>Installs the resolver for this assembly; idempotent.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered)
                return;
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
            _registered = true;
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != NativeMethods.Library)
            return 0;
        foreach (var candidate in Candidates())
        {
            if (!File.Exists(candidate))
                continue;
            try
            {
                return NativeLibrary.Load(candidate);
            }
            catch (DllNotFoundException e)
            {
                LastFailure = e.Message;
            }
        }

        return NativeLibrary.TryLoad(name, assembly, searchPath, out var handle) ? handle : 0;
    }

    private static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured)
            yield return Directory.Exists(configured) ? Path.Combine(configured, FileName) : configured;
        if (Path.GetDirectoryName(typeof(NativeLibraryResolver).Assembly.Location) is { Length: > 0 } folder)
            yield return Path.Combine(folder, FileName);
        yield return Path.Combine(AppContext.BaseDirectory, FileName);
    }
}
