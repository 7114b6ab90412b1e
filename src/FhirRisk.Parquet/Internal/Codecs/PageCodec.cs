using System.Buffers;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal.Codecs;

/// <summary>
/// Page compression (parquet.thrift <c>CompressionCodec</c>; parquet-format Compression.md). Writes UNCOMPRESSED,
/// SNAPPY, GZIP and ZSTD; also reads LZ4_RAW. Every failure to decompress — a corrupt stream or a size other than
/// the page header's — is a <see cref="ParquetErrorCodes.CorruptPage"/> <see cref="ParquetException"/>.
/// </summary>
internal static class PageCodec
{
    /// <summary>Appends the compressed form of <paramref name="input"/>; <paramref name="level"/> null means the codec default.</summary>
    public static void Compress(CompressionCodec codec, ReadOnlySpan<byte> input, IBufferWriter<byte> output, int? level)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (codec)
        {
            case CompressionCodec.Uncompressed:
                output.Write(input);
                break;
            case CompressionCodec.Snappy:
                SnappyCodec.Compress(input, output);
                break;
            case CompressionCodec.Gzip:
                GzipCodec.Compress(input, output, level ?? GzipCodec.DefaultLevel);
                break;
            case CompressionCodec.Zstd:
                ZstdCodec.Compress(input, output, level ?? ZstdCodec.DefaultLevel);
                break;
            default:
                throw CodecErrors.Unsupported(codec, compressing: true);
        }
    }

    /// <summary>Decompresses <paramref name="input"/> into exactly <c>output.Length</c> bytes (the header's uncompressed size).</summary>
    public static void Decompress(CompressionCodec codec, ReadOnlySpan<byte> input, Span<byte> output)
    {
        // Some writers store an empty values section of a DATA_PAGE_V2 without running the codec over it.
        if (input.IsEmpty && output.IsEmpty && IsReadable(codec))
            return;
        switch (codec)
        {
            case CompressionCodec.Uncompressed:
                if (input.Length != output.Length)
                    throw CodecErrors.SizeMismatch("UNCOMPRESSED", output.Length, input.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
                input.CopyTo(output);
                break;
            case CompressionCodec.Snappy:
                SnappyCodec.Decompress(input, output);
                break;
            case CompressionCodec.Gzip:
                GzipCodec.Decompress(input, output);
                break;
            case CompressionCodec.Zstd:
                ZstdCodec.Decompress(input, output);
                break;
            case CompressionCodec.Lz4Raw:
                Lz4RawDecoder.Decompress(input, output);
                break;
            default:
                throw CodecErrors.Unsupported(codec, compressing: false);
        }
    }

    /// <summary>Whether <see cref="Decompress"/> handles <paramref name="codec"/>.</summary>
    public static bool IsReadable(CompressionCodec codec) => codec is CompressionCodec.Uncompressed or CompressionCodec.Snappy
        or CompressionCodec.Gzip or CompressionCodec.Zstd or CompressionCodec.Lz4Raw;
}
