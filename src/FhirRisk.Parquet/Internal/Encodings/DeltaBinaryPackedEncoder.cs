using System.Buffers;
using System.Runtime.CompilerServices;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// Writes DELTA_BINARY_PACKED with blocks of 128 values in 4 miniblocks of 32 (the layout parquet-mr and Arrow
/// write). INT32 input keeps its deltas in 32-bit wrap-around arithmetic so that readers decoding with 32-bit
/// integers (which reject widths above 32) read it back.
/// </summary>
internal static class DeltaBinaryPackedEncoder
{
    private const int BlockSize = 128;
    private const int Miniblocks = 4;
    private const int MiniblockValues = BlockSize / Miniblocks;

    /// <summary>Encodes INT64 values as one DELTA_BINARY_PACKED block sequence (header included).</summary>
    public static void Encode(ReadOnlySpan<long> values, IBufferWriter<byte> output) => EncodeCore(values, output);

    /// <summary>Encodes INT32 values with 32-bit deltas.</summary>
    public static void Encode(ReadOnlySpan<int> values, IBufferWriter<byte> output) => EncodeCore(values, output);

    private static void EncodeCore<T>(ReadOnlySpan<T> values, IBufferWriter<byte> output)
        where T : unmanaged
    {
        Uleb128.Write(BlockSize, output);
        Uleb128.Write(Miniblocks, output);
        Uleb128.Write((ulong)values.Length, output);
        Uleb128.Write(Uleb128.ZigZagEncode(values.IsEmpty ? 0 : Widen(values, 0)), output);
        Span<long> deltas = stackalloc long[BlockSize];
        Span<ulong> adjusted = stackalloc ulong[BlockSize];
        for (var start = 1; start < values.Length; start += BlockSize)
        {
            var count = Math.Min(BlockSize, values.Length - start);
            var minDelta = long.MaxValue;
            for (var i = 0; i < count; i++)
            {
                var delta = Delta(values, start + i);
                deltas[i] = delta;
                minDelta = Math.Min(minDelta, delta);
            }
            for (var i = 0; i < count; i++)
                adjusted[i] = unchecked((ulong)(deltas[i] - minDelta));
            adjusted[count..].Clear();
            WriteBlock(minDelta, adjusted, count, output);
        }
    }

    private static void WriteBlock(long minDelta, ReadOnlySpan<ulong> adjusted, int count, IBufferWriter<byte> output)
    {
        Uleb128.Write(Uleb128.ZigZagEncode(minDelta), output);
        var used = (count + MiniblockValues - 1) / MiniblockValues;
        Span<byte> widths = stackalloc byte[Miniblocks];
        widths.Clear();
        for (var m = 0; m < used; m++)
        {
            ulong any = 0;
            foreach (var value in adjusted.Slice(m * MiniblockValues, MiniblockValues))
                any |= value;
            widths[m] = (byte)(64 - ulong.LeadingZeroCount(any));
        }
        output.Write(widths);
        for (var m = 0; m < used; m++)
        {
            // Every miniblock, the last included, is written at full length (padding values are zero).
            var bytes = MiniblockValues * widths[m] / 8;
            var body = output.GetSpan(bytes)[..bytes];
            body.Clear();
            BitPacking.Pack(adjusted.Slice(m * MiniblockValues, MiniblockValues), widths[m], body);
            output.Advance(bytes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Widen<T>(ReadOnlySpan<T> values, int index)
        where T : unmanaged
    {
        var value = values[index];
        return typeof(T) == typeof(int) ? Unsafe.As<T, int>(ref value) : Unsafe.As<T, long>(ref value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Delta<T>(ReadOnlySpan<T> values, int index)
        where T : unmanaged
    {
        var delta = unchecked(Widen(values, index) - Widen(values, index - 1));
        return typeof(T) == typeof(int) ? unchecked((int)delta) : delta;
    }
}
