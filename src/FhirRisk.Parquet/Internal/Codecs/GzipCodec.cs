using System.Buffers;
using System.IO.Compression;

namespace FhirRisk.Parquet.Internal.Codecs;

/// <summary>
/// GZIP pages: the gzip file format (RFC 1952), one or more concatenated members, through the BCL's zlib.
/// </summary>
internal static class GzipCodec
{
    public const int DefaultLevel = 6;

    public static void Compress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 9);
        if (input.IsEmpty)
        {
            // zlib emits nothing when no data is written; a page still needs a valid (empty) gzip member.
            output.Write(EmptyMember);
            return;
        }
        using var gzip = new GZipStream(new BufferWriterStream(output), new ZLibCompressionOptions { CompressionLevel = level });
        gzip.Write(input);
    }

    /// <summary>RFC 1952 header (deflate, no flags, no mtime, OS unix), an empty final fixed-Huffman block, CRC 0, size 0.</summary>
    private static ReadOnlySpan<byte> EmptyMember =>
        [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

    public static unsafe void Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.IsEmpty)
        {
            if (!output.IsEmpty)
                throw CodecErrors.SizeMismatch("GZIP", output.Length, "0");
            return;
        }
        try
        {
            fixed (byte* pointer = input)
            {
                using var source = new UnmanagedMemoryStream(pointer, input.Length);
                using var gzip = new GZipStream(source, CompressionMode.Decompress);
                // GZipStream reads across member boundaries by itself, so concatenated members decode as one stream.
                var filled = ReadFully(gzip, output);
                Span<byte> extra = stackalloc byte[1];
                if (filled != output.Length || gzip.Read(extra) != 0)
                    throw CodecErrors.SizeMismatch("GZIP", output.Length, filled == output.Length ? "more" : filled.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        catch (InvalidDataException e)
        {
            throw CodecErrors.Corrupt("GZIP", e);
        }
    }

    private static int ReadFully(Stream stream, Span<byte> output)
    {
        var filled = 0;
        while (filled < output.Length)
        {
            var read = stream.Read(output[filled..]);
            if (read == 0)
                break;
            filled += read;
        }
        return filled;
    }
}
