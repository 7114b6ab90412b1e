using System.Buffers;
using System.Runtime.CompilerServices;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// Unsigned LEB128 varints and zigzag mapping, as used by the RLE/bit-packed hybrid run headers and the
/// DELTA_BINARY_PACKED headers (parquet-format Encodings.md, "Delta Encoding").
/// </summary>
internal static class Uleb128
{
    /// <summary>Largest encoding of a 64-bit value.</summary>
    public const int MaxLength = 10;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadUInt64(ReadOnlySpan<byte> data, ref int position)
    {
        // One-byte varints dominate (run headers, widths); keep that path branch-light.
        if ((uint)position < (uint)data.Length && data[position] < 0x80)
            return data[position++];
        return ReadUInt64Slow(data, ref position);
    }

    public static uint ReadUInt32(ReadOnlySpan<byte> data, ref int position)
    {
        var value = ReadUInt64(data, ref position);
        return value <= uint.MaxValue ? (uint)value : CorruptPage.Throw<uint>($"Varint {value} does not fit 32 bits.");
    }

    /// <summary>Reads a varint that must be a non-negative int (counts and sizes).</summary>
    public static int ReadCount(ReadOnlySpan<byte> data, ref int position, string what)
    {
        var value = ReadUInt64(data, ref position);
        return value <= int.MaxValue ? (int)value : CorruptPage.Throw<int>($"{what} {value} is out of range.");
    }

    public static long ReadZigZag(ReadOnlySpan<byte> data, ref int position) => ZigZagDecode(ReadUInt64(data, ref position));

    public static long ZigZagDecode(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    public static ulong ZigZagEncode(long value) => (ulong)((value << 1) ^ (value >> 63));

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(ulong value, Span<byte> destination)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    public static void Write(ulong value, IBufferWriter<byte> output)
    {
        var written = Write(value, output.GetSpan(MaxLength));
        output.Advance(written);
    }

    private static ulong ReadUInt64Slow(ReadOnlySpan<byte> data, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if ((uint)position >= (uint)data.Length)
                CorruptPage.Throw("Varint runs past the end of the page.");
            var b = data[position++];
            if (shift == 63 && b > 1)
                CorruptPage.Throw("Varint overflows 64 bits.");
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        return CorruptPage.Throw<ulong>("Varint is longer than 10 bytes.");
    }
}
