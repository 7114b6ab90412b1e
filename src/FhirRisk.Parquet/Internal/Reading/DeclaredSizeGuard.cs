using System.Buffers.Binary;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal.Reading;

/// <summary>
/// Refutes a page's declared uncompressed size from the compressed bytes themselves before a buffer of that size is
/// allocated: a corrupt header saying "500 MB" over a 200-byte page must fail, not allocate 500 MB.
/// </summary>
internal static class DeclaredSizeGuard
{
    // Deflate's best case is 258 bytes per 2-bit-ish symbol run; RFC 1951 bounds expansion at about 1032:1.
    private const long DeflateMaxRatio = 1032;

    // Snappy's densest element is a 3-byte copy of 64 bytes.
    private const long SnappyMaxRatio = 22;

    // An LZ4 block's densest form is a match length extended by 255 per added byte.
    private const long Lz4MaxRatio = 256;

    public static void Check(CompressionCodec codec, ReadOnlySpan<byte> compressed, int declared)
    {
        var plausible = codec switch
        {
            CompressionCodec.Uncompressed => declared == compressed.Length,
            CompressionCodec.Snappy => SnappyLength(compressed) is not long length || length == declared,
            CompressionCodec.Gzip => declared <= Math.Max(compressed.Length, 64) * DeflateMaxRatio,
            CompressionCodec.Zstd => ZstdContentSize(compressed) is not long size || size == declared,
            CompressionCodec.Lz4Raw => declared <= Math.Max(compressed.Length, 16) * Lz4MaxRatio,
            _ => true,
        };
        if (codec == CompressionCodec.Snappy && plausible)
            plausible = declared <= Math.Max(compressed.Length, 16) * SnappyMaxRatio;
        if (!plausible)
            throw new ParquetException(ParquetErrorCodes.CorruptMetadata,
                $"Page declares {declared} uncompressed bytes, which its {compressed.Length} {codec} bytes cannot hold.");
    }

    /// <summary>The uncompressed length a raw snappy block starts with (a little-endian base-128 varint).</summary>
    private static long? SnappyLength(ReadOnlySpan<byte> data)
    {
        long value = 0;
        for (var i = 0; i < Math.Min(data.Length, 5); i++)
        {
            value |= (long)(data[i] & 0x7F) << (7 * i);
            if ((data[i] & 0x80) == 0)
                return value;
        }
        return null;
    }

    /// <summary>Frame_Content_Size of the first zstd frame (RFC 8878 §3.1.1.1), or null when the frame omits it.</summary>
    private static long? ZstdContentSize(ReadOnlySpan<byte> data)
    {
        if (data.Length < 6 || BinaryPrimitives.ReadUInt32LittleEndian(data) != 0xFD2FB528)
            return null;
        int descriptor = data[4];
        var sizeFlag = descriptor >> 6;
        var singleSegment = (descriptor & 0x20) != 0;
        var dictionaryIdBytes = (descriptor & 0x03) switch { 0 => 0, 1 => 1, 2 => 2, _ => 4 };
        var position = 5 + (singleSegment ? 0 : 1) + dictionaryIdBytes;
        var sizeBytes = sizeFlag switch { 0 => singleSegment ? 1 : 0, 1 => 2, 2 => 4, _ => 8 };
        if (sizeBytes == 0 || data.Length < position + sizeBytes)
            return null;
        var field = data.Slice(position, sizeBytes);
        return sizeBytes switch
        {
            1 => field[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(field) + 256L,
            4 => BinaryPrimitives.ReadUInt32LittleEndian(field),
            _ => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(field), long.MaxValue),
        };
    }
}
