using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// BYTE_STREAM_SPLIT (parquet-format Encodings.md, "Byte Stream Split (BYTE_STREAM_SPLIT = 9)"): byte <c>k</c> of
/// every value goes to stream <c>k</c>; the streams of <c>count</c> bytes each follow one another. Widths 4 and 8
/// (FLOAT/DOUBLE, INT32/INT64) are transposed a whole value at a time; other widths byte by byte.
/// </summary>
internal static class ByteStreamSplit
{
    /// <summary>Joins <paramref name="count"/> values of <paramref name="elementSize"/> bytes into <paramref name="destination"/>.</summary>
    public static void Decode(ReadOnlySpan<byte> data, int elementSize, int count, Span<byte> destination)
    {
        var total = CheckShape(elementSize, count);
        if (data.Length < total)
            CorruptPage.Throw($"BYTE_STREAM_SPLIT page holds {data.Length} bytes, fewer than {count} values of {elementSize} bytes.");
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, total, nameof(destination));
        switch (elementSize)
        {
            case 4:
                Join4(data, count, MemoryMarshal.Cast<byte, uint>(destination[..total]));
                break;
            case 8:
                Join8(data, count, MemoryMarshal.Cast<byte, ulong>(destination[..total]));
                break;
            default:
                DecodeReference(data, elementSize, count, destination);
                break;
        }
    }

    /// <summary>Byte-at-a-time twin of <see cref="Decode"/> for any width, the test oracle for the 4- and 8-byte paths.</summary>
    public static void DecodeReference(ReadOnlySpan<byte> data, int elementSize, int count, Span<byte> destination)
    {
        for (var k = 0; k < elementSize; k++)
        {
            var stream = data.Slice(k * count, count);
            for (var i = 0; i < count; i++)
                destination[i * elementSize + k] = stream[i];
        }
    }

    /// <summary>Splits the values in <paramref name="values"/> (a whole number of <paramref name="elementSize"/>-byte values).</summary>
    public static void Encode(ReadOnlySpan<byte> values, int elementSize, IBufferWriter<byte> output)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(elementSize, 1);
        if (values.Length % elementSize != 0)
            throw new ArgumentException($"{values.Length} bytes are not a whole number of {elementSize}-byte values.", nameof(values));
        var count = values.Length / elementSize;
        var span = output.GetSpan(values.Length)[..values.Length];
        for (var k = 0; k < elementSize; k++)
        {
            var stream = span.Slice(k * count, count);
            for (var i = 0; i < count; i++)
                stream[i] = values[i * elementSize + k];
        }
        output.Advance(values.Length);
    }

    private static int CheckShape(int elementSize, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(elementSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var total = (long)elementSize * count;
        return total <= Array.MaxLength ? (int)total : CorruptPage.Throw<int>($"BYTE_STREAM_SPLIT of {count} values of {elementSize} bytes is too large.");
    }

    private static void Join4(ReadOnlySpan<byte> data, int count, Span<uint> destination)
    {
        ref var s0 = ref MemoryMarshal.GetReference(data);
        ref var s1 = ref Unsafe.Add(ref s0, count);
        ref var s2 = ref Unsafe.Add(ref s1, count);
        ref var s3 = ref Unsafe.Add(ref s2, count);
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = Unsafe.Add(ref s0, i) | (uint)Unsafe.Add(ref s1, i) << 8
                | (uint)Unsafe.Add(ref s2, i) << 16 | (uint)Unsafe.Add(ref s3, i) << 24;
        }
    }

    private static void Join8(ReadOnlySpan<byte> data, int count, Span<ulong> destination)
    {
        ref var s0 = ref MemoryMarshal.GetReference(data);
        ref var s1 = ref Unsafe.Add(ref s0, count);
        ref var s2 = ref Unsafe.Add(ref s1, count);
        ref var s3 = ref Unsafe.Add(ref s2, count);
        ref var s4 = ref Unsafe.Add(ref s3, count);
        ref var s5 = ref Unsafe.Add(ref s4, count);
        ref var s6 = ref Unsafe.Add(ref s5, count);
        ref var s7 = ref Unsafe.Add(ref s6, count);
        for (var i = 0; i < destination.Length; i++)
        {
            var low = Unsafe.Add(ref s0, i) | (uint)Unsafe.Add(ref s1, i) << 8
                | (uint)Unsafe.Add(ref s2, i) << 16 | (uint)Unsafe.Add(ref s3, i) << 24;
            var high = Unsafe.Add(ref s4, i) | (uint)Unsafe.Add(ref s5, i) << 8
                | (uint)Unsafe.Add(ref s6, i) << 16 | (uint)Unsafe.Add(ref s7, i) << 24;
            destination[i] = low | (ulong)high << 32;
        }
    }
}
