using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// PLAIN encoding (parquet-format Encodings.md, "Plain (PLAIN = 0)"): fixed-width values little-endian back to back,
/// booleans bit-packed LSB first, BYTE_ARRAY values as a 4-byte little-endian length followed by the bytes.
/// Fixed-width values are copied as raw memory because every platform we run on is little-endian.
/// </summary>
internal static class PlainEncoding
{
    /// <summary>Entry <c>b</c> holds the eight booleans of byte <c>b</c>, least significant bit in the lowest byte.</summary>
    private static readonly ulong[] BooleanExpansion = BuildBooleanExpansion();

    /// <summary>Decodes <c>destination.Length</c> values of <typeparamref name="T"/> (int, long, float, double).</summary>
    public static void Decode<T>(ReadOnlySpan<byte> data, Span<T> destination)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(destination);
        if (data.Length < bytes.Length)
            CorruptPage.Throw($"PLAIN page holds {data.Length} bytes, fewer than the {bytes.Length} its {destination.Length} {typeof(T).Name} values need.");
        data[..bytes.Length].CopyTo(bytes);
    }

    public static void Encode<T>(ReadOnlySpan<T> values, IBufferWriter<byte> output)
        where T : unmanaged =>
        output.Write(MemoryMarshal.AsBytes(values));

    /// <summary>Decodes <c>destination.Length</c> bit-packed booleans; returns the bytes consumed.</summary>
    public static int DecodeBooleans(ReadOnlySpan<byte> data, Span<bool> destination)
    {
        var needed = (int)((destination.Length + 7L) >> 3);
        if (data.Length < needed)
            CorruptPage.Throw($"PLAIN boolean page holds {data.Length} bytes, fewer than the {needed} its {destination.Length} values need.");
        var whole = destination.Length >> 3;
        var table = BooleanExpansion;
        ref var dst = ref Unsafe.As<bool, byte>(ref MemoryMarshal.GetReference(destination));
        // One table load per source byte writes its eight booleans as one 8-byte store.
        for (var i = 0; i < whole; i++)
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, i * 8), table[data[i]]);
        for (var v = whole * 8; v < destination.Length; v++)
            destination[v] = ((data[v >> 3] >> (v & 7)) & 1) != 0;
        return needed;
    }

    public static void EncodeBooleans(ReadOnlySpan<bool> values, IBufferWriter<byte> output)
    {
        var length = (values.Length + 7) >> 3;
        var span = output.GetSpan(length)[..length];
        var bytes = MemoryMarshal.AsBytes(values);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= bytes.Length; i += 32)
            {
                var lanes = Vector256.GreaterThan(Vector256.Create(bytes.Slice(i, 32)), Vector256<byte>.Zero);
                BinaryPrimitives.WriteUInt32LittleEndian(span[(i >> 3)..], lanes.ExtractMostSignificantBits());
            }
        }
        for (; i + 8 <= bytes.Length; i += 8)
        {
            // Each 0/1 byte lands on its own bit of the top byte (byte k moves to bit 56 + k; no carries collide).
            var word = BinaryPrimitives.ReadUInt64LittleEndian(bytes[i..]) & 0x0101010101010101UL;
            span[i >> 3] = (byte)((word * 0x0102040810204080UL) >> 56);
        }
        if (i < bytes.Length)
        {
            var last = 0;
            for (var k = i; k < bytes.Length; k++)
                last |= (bytes[k] != 0 ? 1 : 0) << (k - i);
            span[i >> 3] = (byte)last;
        }
        output.Advance(length);
    }

    /// <summary>Appends <paramref name="count"/> length-prefixed values to <paramref name="destination"/>; returns the bytes consumed.</summary>
    public static int DecodeByteArrays(ReadOnlySpan<byte> data, int count, ByteArrayBuffer destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        // Every value costs at least its 4-byte prefix, so the data bounds how many values can really follow.
        if (count > data.Length / 4)
            CorruptPage.Throw($"PLAIN page of {data.Length} bytes cannot hold {count} byte-array values.");
        destination.Reserve(count, data.Length - 4L * count);
        var position = 0;
        for (var i = 0; i < count; i++)
        {
            if (data.Length - position < 4)
                CorruptPage.Throw($"PLAIN byte-array page ends inside the length of value {i}.");
            var length = BinaryPrimitives.ReadUInt32LittleEndian(data[position..]);
            position += 4;
            if (length > (uint)(data.Length - position))
                CorruptPage.Throw($"PLAIN byte-array value {i} declares {length} bytes but only {data.Length - position} remain.");
            destination.Add(data.Slice(position, (int)length));
            position += (int)length;
        }
        return position;
    }

    public static void EncodeByteArray(ReadOnlySpan<byte> value, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(4 + value.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span, value.Length);
        value.CopyTo(span[4..]);
        output.Advance(4 + value.Length);
    }

    private static ulong[] BuildBooleanExpansion()
    {
        var table = new ulong[256];
        for (var b = 0; b < 256; b++)
        {
            ulong word = 0;
            for (var bit = 0; bit < 8; bit++)
                word |= (ulong)((b >> bit) & 1) << (8 * bit);
            table[b] = word;
        }
        return table;
    }
}
