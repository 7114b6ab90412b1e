using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using FhirRisk.Parquet.Internal.Encodings;

namespace FhirRisk.Parquet.Internal.Codecs;

/// <summary>
/// Decodes raw snappy blocks (google/snappy format_description.txt: a varint uncompressed length, then literal and
/// copy elements) straight into the page buffer, without the intermediate array IronSnappy's API returns. Short
/// literals and far copies move 16 bytes at a time when the buffers have room; the overshoot is rewritten later.
/// </summary>
internal static class SnappyDecoder
{
    /// <summary>The uncompressed length the block declares.</summary>
    public static int ReadLength(ReadOnlySpan<byte> input, out int headerBytes)
    {
        var position = 0;
        try
        {
            var length = Uleb128.ReadUInt64(input, ref position);
            headerBytes = position;
            return length <= int.MaxValue ? (int)length : throw CodecErrors.Corrupt("SNAPPY", $"declared length {length} is too large");
        }
        catch (ParquetException e) when (e.Code == ParquetErrorCodes.CorruptPage)
        {
            throw CodecErrors.Corrupt("SNAPPY", "the length header is malformed");
        }
    }

    public static void Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var declared = ReadLength(input, out var ip);
        if (declared != output.Length)
            throw CodecErrors.SizeMismatch("SNAPPY", output.Length, declared.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var op = 0;
        while (ip < input.Length)
        {
            uint tag = input[ip++];
            if ((tag & 3) == 0)
            {
                var length = ReadLiteralLength(input, ref ip, tag);
                if (length > input.Length - ip || length > output.Length - op)
                    throw CodecErrors.Corrupt("SNAPPY", $"a {length}-byte literal overruns the block");
                MatchCopy.CopyLiteral(input, ip, output, op, length);
                ip += length;
                op += length;
                continue;
            }
            var (copyLength, offset) = ReadCopy(input, ref ip, tag);
            if (offset == 0 || offset > op || copyLength > output.Length - op)
                throw CodecErrors.Corrupt("SNAPPY", $"a copy of {copyLength} bytes from offset {offset} at {op} is out of range");
            MatchCopy.CopyMatch(output, op, offset, copyLength);
            op += copyLength;
        }
        if (op != output.Length)
            throw CodecErrors.SizeMismatch("SNAPPY", output.Length, op.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadLiteralLength(ReadOnlySpan<byte> input, ref int ip, uint tag)
    {
        var code = (int)(tag >> 2);
        if (code < 60)
            return code + 1;
        // Codes 60..63: the length minus one follows in 1..4 little-endian bytes.
        var extra = code - 59;
        if (extra > input.Length - ip)
            throw CodecErrors.Corrupt("SNAPPY", "a literal length runs past the end");
        uint length = 0;
        for (var b = 0; b < extra; b++)
            length |= (uint)input[ip + b] << (8 * b);
        ip += extra;
        return length < int.MaxValue ? (int)length + 1 : int.MaxValue;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Length, int Offset) ReadCopy(ReadOnlySpan<byte> input, ref int ip, uint tag)
    {
        var kind = tag & 3;
        var offsetBytes = kind == 1 ? 1 : kind == 2 ? 2 : 4;
        if (offsetBytes > input.Length - ip)
            throw CodecErrors.Corrupt("SNAPPY", "a copy element runs past the end");
        var at = input[ip..];
        ip += offsetBytes;
        return kind switch
        {
            // 1-byte offset: 3 bits of length - 4, 3 high offset bits in the tag, 8 low bits after it.
            1 => ((int)((tag >> 2) & 7) + 4, (int)((tag >> 5) << 8) | at[0]),
            2 => ((int)(tag >> 2) + 1, BinaryPrimitives.ReadUInt16LittleEndian(at)),
            _ => ((int)(tag >> 2) + 1, (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(at), int.MaxValue)),
        };
    }
}
