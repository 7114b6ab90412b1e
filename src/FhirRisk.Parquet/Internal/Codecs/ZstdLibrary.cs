using System.Runtime.InteropServices;

namespace FhirRisk.Parquet.Internal.Codecs;

/// <summary>
/// The entry points of the system zstd library (libzstd.so.1), bound once through <see cref="NativeLibrary"/> so that
/// a missing library becomes one actionable <see cref="ParquetErrorCodes.CodecUnavailable"/> error instead of a
/// loader exception at the first call. Signatures follow zstd.h (size_t ↔ nuint).
/// </summary>
internal sealed unsafe class ZstdLibrary
{
    public const string LibraryName = "libzstd.so.1";

    private static readonly Lazy<ZstdLibrary?> Shared = new(() => TryLoad(LibraryName));

    private ZstdLibrary(nint handle)
    {
        CompressBound = (delegate* unmanaged<nuint, nuint>)NativeLibrary.GetExport(handle, "ZSTD_compressBound");
        CreateCompressionContext = (delegate* unmanaged<nint>)NativeLibrary.GetExport(handle, "ZSTD_createCCtx");
        FreeCompressionContext = (delegate* unmanaged<nint, nuint>)NativeLibrary.GetExport(handle, "ZSTD_freeCCtx");
        CompressWithContext = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, int, nuint>)NativeLibrary.GetExport(handle, "ZSTD_compressCCtx");
        CreateDecompressionContext = (delegate* unmanaged<nint>)NativeLibrary.GetExport(handle, "ZSTD_createDCtx");
        FreeDecompressionContext = (delegate* unmanaged<nint, nuint>)NativeLibrary.GetExport(handle, "ZSTD_freeDCtx");
        DecompressWithContext = (delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint>)NativeLibrary.GetExport(handle, "ZSTD_decompressDCtx");
        IsError = (delegate* unmanaged<nuint, uint>)NativeLibrary.GetExport(handle, "ZSTD_isError");
        GetErrorName = (delegate* unmanaged<nuint, byte*>)NativeLibrary.GetExport(handle, "ZSTD_getErrorName");
        MinLevel = ((delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "ZSTD_minCLevel"))();
        MaxLevel = ((delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "ZSTD_maxCLevel"))();
    }

    public delegate* unmanaged<nuint, nuint> CompressBound { get; }

    public delegate* unmanaged<nint> CreateCompressionContext { get; }

    public delegate* unmanaged<nint, nuint> FreeCompressionContext { get; }

    public delegate* unmanaged<nint, byte*, nuint, byte*, nuint, int, nuint> CompressWithContext { get; }

    public delegate* unmanaged<nint> CreateDecompressionContext { get; }

    public delegate* unmanaged<nint, nuint> FreeDecompressionContext { get; }

    public delegate* unmanaged<nint, byte*, nuint, byte*, nuint, nuint> DecompressWithContext { get; }

    public delegate* unmanaged<nuint, uint> IsError { get; }

    public delegate* unmanaged<nuint, byte*> GetErrorName { get; }

    public int MinLevel { get; }

    public int MaxLevel { get; }

    /// <summary>The process-wide binding; throws <see cref="ParquetErrorCodes.CodecUnavailable"/> when the library is missing.</summary>
    public static ZstdLibrary Instance => Shared.Value ?? throw Unavailable(LibraryName);

    /// <summary>Binds <paramref name="name"/>, or returns null when it cannot be loaded or lacks an entry point.</summary>
    public static ZstdLibrary? TryLoad(string name)
    {
        if (!NativeLibrary.TryLoad(name, out var handle))
            return null;
        try
        {
            return new ZstdLibrary(handle);
        }
        catch (EntryPointNotFoundException)
        {
            NativeLibrary.Free(handle);
            return null;
        }
    }

    public static ParquetException Unavailable(string name) => new(ParquetErrorCodes.CodecUnavailable,
        $"ZSTD pages need the native zstd library ({name}), which could not be loaded; install the zstd library (Debian: libzstd1, Alpine: zstd-libs).");

    /// <summary>zstd's name for an error code returned by a size_t function.</summary>
    public string ErrorName(nuint code) => Marshal.PtrToStringUTF8((nint)GetErrorName(code)) ?? $"error {code}";
}
