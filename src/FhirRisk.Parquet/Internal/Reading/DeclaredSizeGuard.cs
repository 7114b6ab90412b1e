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

    /// <summary>
    /// The content size of all the zstd frames the page holds (RFC 8878 §3.1): concatenated frames decode as one, and a
    /// writer may cut a page into several (review s21-parquet L1: only the first frame's size was compared, and such a
    /// page was refused). Null when a frame omits its Frame_Content_Size or the frames cannot be walked; the decoder then
    /// checks the size it produces.
    /// </summary>
    private static long? ZstdContentSize(ReadOnlySpan<byte> data)
    {
        long total = 0;
        var position = 0;
        while (position < data.Length)
        {
            if (data.Length - position < 8)
                return null;
            var magic = BinaryPrimitives.ReadUInt32LittleEndian(data[position..]);
            if ((magic & 0xFFFFFFF0) == 0x184D2A50)
            {
                // A skippable frame: its size, then that many bytes of no content.
                var skipped = BinaryPrimitives.ReadUInt32LittleEndian(data[(position + 4)..]);
                if (skipped > data.Length - position - 8)
                    return null;
                position += 8 + (int)skipped;
                continue;
            }
            if (magic != 0xFD2FB528 || FrameContentSize(data[position..], out var headerLength, out var checksum) is not long size)
                return null;
            total += size;
            position += headerLength;
            // Blocks: a 3-byte header (last-block bit, type, size); an RLE block's content is one byte.
            while (true)
            {
                if (data.Length - position < 3)
                    return null;
                var header = data[position] | (data[position + 1] << 8) | (data[position + 2] << 16);
                var last = (header & 1) != 0;
                var type = (header >> 1) & 3;
                var length = type == 1 ? 1 : header >> 3;
                if (type == 3 || length > data.Length - position - 3)
                    return null;
                position += 3 + length;
                if (last)
                    break;
            }
            if (checksum)
            {
                if (data.Length - position < 4)
                    return null;
                position += 4;
            }
        }
        return total;
    }

    /// <summary>Frame_Content_Size of the zstd frame <paramref name="frame"/> starts with (RFC 8878 §3.1.1.1), or null
    /// when it omits it; the header's length and whether a content checksum ends the frame.</summary>
    private static long? FrameContentSize(ReadOnlySpan<byte> frame, out int headerLength, out bool checksum)
    {
        int descriptor = frame[4];
        var sizeFlag = descriptor >> 6;
        var singleSegment = (descriptor & 0x20) != 0;
        checksum = (descriptor & 0x04) != 0;
        var dictionaryIdBytes = (descriptor & 0x03) switch { 0 => 0, 1 => 1, 2 => 2, _ => 4 };
        var position = 5 + (singleSegment ? 0 : 1) + dictionaryIdBytes;
        var sizeBytes = sizeFlag switch { 0 => singleSegment ? 1 : 0, 1 => 2, 2 => 4, _ => 8 };
        headerLength = position + sizeBytes;
        if (sizeBytes == 0 || frame.Length < position + sizeBytes)
            return null;
        var field = frame.Slice(position, sizeBytes);
        return sizeBytes switch
        {
            1 => field[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(field) + 256L,
            4 => BinaryPrimitives.ReadUInt32LittleEndian(field),
            _ => (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(field), long.MaxValue),
        };
    }
}
