using System.Buffers.Binary;

namespace FhirRisk.Parquet.Internal.Codecs;

/// <summary>
/// Decodes LZ4_RAW pages: one LZ4 block (lz4 Block_format.md) with no frame. Each sequence is a token (literal
/// length in the high nibble, match length - 4 in the low one, 15 meaning "more bytes follow, each adding up to
/// 255"), the literals, then a 2-byte little-endian match offset; the last sequence stops after its literals.
/// </summary>
internal static class Lz4RawDecoder
{
    private const int MinMatch = 4;

    public static void Decompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var ip = 0;
        var op = 0;
        if (input.IsEmpty && output.IsEmpty)
            return;
        while (true)
        {
            if (ip >= input.Length)
                throw CodecErrors.Corrupt("LZ4_RAW", "the block ends inside a sequence");
            int token = input[ip++];
            var literals = ReadLength(input, ref ip, token >> 4);
            if (literals > input.Length - ip || literals > output.Length - op)
                throw CodecErrors.Corrupt("LZ4_RAW", $"a {literals}-byte literal run overruns the block");
            MatchCopy.CopyLiteral(input, ip, output, op, literals);
            ip += literals;
            op += literals;
            if (ip == input.Length)
                break;
            if (input.Length - ip < 2)
                throw CodecErrors.Corrupt("LZ4_RAW", "the block ends inside a match offset");
            int offset = BinaryPrimitives.ReadUInt16LittleEndian(input[ip..]);
            ip += 2;
            var match = ReadLength(input, ref ip, token & 15);
            match = match > int.MaxValue - MinMatch ? int.MaxValue : match + MinMatch;
            if (offset == 0 || offset > op || match > output.Length - op)
                throw CodecErrors.Corrupt("LZ4_RAW", $"a match of {match} bytes from offset {offset} at {op} is out of range");
            MatchCopy.CopyMatch(output, op, offset, match);
            op += match;
        }
        if (op != output.Length)
            throw CodecErrors.SizeMismatch("LZ4_RAW", output.Length, op.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A 4-bit length; 15 continues with bytes that each add their value, ending at the first below 255.</summary>
    private static int ReadLength(ReadOnlySpan<byte> input, ref int ip, int nibble)
    {
        if (nibble < 15)
            return nibble;
        long length = nibble;
        byte next;
        do
        {
            if (ip >= input.Length)
                throw CodecErrors.Corrupt("LZ4_RAW", "the block ends inside a length");
            next = input[ip++];
            length += next;
        }
        while (next == 255 && length < int.MaxValue);
        return length <= int.MaxValue ? (int)length : int.MaxValue;
    }
}
