using System.Buffers;
using System.Runtime.InteropServices;

namespace FhirRisk.Parquet.Internal.Codecs;

/// <summary>
/// ZSTD pages (RFC 8878 frames; several concatenated frames decode as one) through the system libzstd. Each thread
/// keeps one compression and one decompression context, as zstd recommends for repeated calls.
/// </summary>
internal static unsafe class ZstdCodec
{
    public const int DefaultLevel = 3;

    [ThreadStatic]
    private static ZstdContext? t_compression;

    [ThreadStatic]
    private static ZstdContext? t_decompression;

    public static void Compress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int level)
    {
        var zstd = ZstdLibrary.Instance;
        ArgumentOutOfRangeException.ThrowIfLessThan(level, zstd.MinLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, zstd.MaxLevel);
        var bound = checked((int)zstd.CompressBound((nuint)input.Length));
        var context = t_compression ??= ZstdContext.Create(zstd, compression: true);
        var destination = output.GetSpan(bound);
        nuint written;
        fixed (byte* source = input)
        fixed (byte* target = destination)
            written = zstd.CompressWithContext(context.Pointer, target, (nuint)destination.Length, source, (nuint)input.Length, level);
        if (zstd.IsError(written) != 0)
            throw new InvalidOperationException($"zstd compression failed: {zstd.ErrorName(written)}.");
        output.Advance((int)written);
    }

    public static void Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var zstd = ZstdLibrary.Instance;
        var context = t_decompression ??= ZstdContext.Create(zstd, compression: false);
        nuint written;
        fixed (byte* source = input)
        fixed (byte* target = output)
            written = zstd.DecompressWithContext(context.Pointer, target, (nuint)output.Length, source, (nuint)input.Length);
        if (zstd.IsError(written) != 0)
            throw CodecErrors.Corrupt("ZSTD", zstd.ErrorName(written));
        if (written != (nuint)output.Length)
            throw CodecErrors.SizeMismatch("ZSTD", output.Length, written.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A ZSTD_CCtx or ZSTD_DCtx, freed by the finalizer when its thread is gone.</summary>
    private sealed class ZstdContext : SafeHandle
    {
        private readonly ZstdLibrary _zstd;
        private readonly bool _compression;

        private ZstdContext(ZstdLibrary zstd, bool compression)
            : base(0, ownsHandle: true)
        {
            _zstd = zstd;
            _compression = compression;
        }

        public override bool IsInvalid => handle == 0;

        public nint Pointer => handle;

        public static ZstdContext Create(ZstdLibrary zstd, bool compression)
        {
            var context = new ZstdContext(zstd, compression);
            context.SetHandle(compression ? zstd.CreateCompressionContext() : zstd.CreateDecompressionContext());
            return context.IsInvalid ? throw new OutOfMemoryException("zstd could not allocate a context.") : context;
        }

        protected override bool ReleaseHandle()
        {
            if (_compression)
                _zstd.FreeCompressionContext(handle);
            else
                _zstd.FreeDecompressionContext(handle);
            return true;
        }
    }
}
