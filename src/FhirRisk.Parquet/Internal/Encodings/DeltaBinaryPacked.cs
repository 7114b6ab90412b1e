using System.Runtime.CompilerServices;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// DELTA_BINARY_PACKED decoding (parquet-format Encodings.md, "Delta Encoding (DELTA_BINARY_PACKED = 5)"). Header:
/// ULEB128 block size (multiple of 128), miniblocks per block, total value count, zigzag first value. Each block:
/// zigzag min delta, one bit-width byte per miniblock, then the miniblocks' (delta - min delta) values bit-packed;
/// miniblocks the last block does not need carry a width byte but no body. Arithmetic wraps (two's complement).
/// Encoding lives in <see cref="DeltaBinaryPackedEncoder"/>.
/// </summary>
internal static class DeltaBinaryPacked
{
    /// <summary>Deltas are unpacked 32 at a time: miniblocks hold a multiple of 32 values, so each group is byte aligned.</summary>
    private const int Group = 32;

    /// <summary>The total value count in the header of the block at the start of <paramref name="data"/>.</summary>
    public static int ReadTotalCount(ReadOnlySpan<byte> data)
    {
        var position = 0;
        return ReadHeader(data, ref position).TotalCount;
    }

    /// <summary>
    /// Decodes <c>min(total, destination.Length)</c> values (any remainder of <paramref name="destination"/> is
    /// cleared) and returns the bytes of the whole encoded block, including values it did not need.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> data, Span<long> destination) => DecodeCore(data, destination);

    /// <inheritdoc cref="Decode(ReadOnlySpan{byte}, Span{long})"/>
    /// <remarks>INT32 columns: 64-bit arithmetic truncated to 32 bits equals the writer's 32-bit wrap-around.</remarks>
    public static int Decode(ReadOnlySpan<byte> data, Span<int> destination) => DecodeCore(data, destination);

    /// <inheritdoc cref="DeltaBinaryPackedEncoder.Encode(ReadOnlySpan{long}, System.Buffers.IBufferWriter{byte})"/>
    public static void Encode(ReadOnlySpan<long> values, System.Buffers.IBufferWriter<byte> output) =>
        DeltaBinaryPackedEncoder.Encode(values, output);

    /// <inheritdoc cref="DeltaBinaryPackedEncoder.Encode(ReadOnlySpan{int}, System.Buffers.IBufferWriter{byte})"/>
    public static void Encode(ReadOnlySpan<int> values, System.Buffers.IBufferWriter<byte> output) =>
        DeltaBinaryPackedEncoder.Encode(values, output);

    private static int DecodeCore<T>(ReadOnlySpan<byte> data, Span<T> destination)
        where T : unmanaged
    {
        var position = 0;
        var header = ReadHeader(data, ref position);
        var wanted = Math.Min(header.TotalCount, destination.Length);
        destination[wanted..].Clear();
        if (header.TotalCount == 0)
            return position;
        var last = header.FirstValue;
        if (wanted > 0)
            Store(destination, 0, last);
        var written = Math.Min(wanted, 1);
        long left = header.TotalCount - 1;
        Span<ulong> deltas = stackalloc ulong[Group];
        while (left > 0)
        {
            var minDelta = Uleb128.ReadZigZag(data, ref position);
            if (header.Miniblocks > data.Length - position)
                CorruptPage.Throw("DELTA_BINARY_PACKED block ends inside its miniblock bit widths.");
            var widths = data.Slice(position, header.Miniblocks);
            position += header.Miniblocks;
            for (var m = 0; m < widths.Length && left > 0; m++)
            {
                int width = widths[m];
                if (width > 64)
                    CorruptPage.Throw($"DELTA_BINARY_PACKED miniblock bit width {width} exceeds 64.");
                var bodyBytes = (long)header.MiniblockValues * width / 8;
                var available = data.Length - position;
                var inBlock = (int)Math.Min(header.MiniblockValues, left);
                var decode = Math.Min(inBlock, wanted - written);
                if (decode > 0)
                {
                    if (((long)decode * width + 7) / 8 > available)
                        CorruptPage.Throw($"DELTA_BINARY_PACKED miniblock needs more than the {available} bytes left.");
                    // The unpacker gets the rest of the data, not just this body, so that wide loads reach its last group.
                    last = DecodeMiniblock(data[position..], width, minDelta, last, destination.Slice(written, decode), deltas);
                    written += decode;
                }
                else if (((long)inBlock * width + 7) / 8 > available)
                {
                    CorruptPage.Throw($"DELTA_BINARY_PACKED miniblock needs more than the {available} bytes left.");
                }
                // Writers pad the last miniblock to full size; accept a stream that stops right after its last value.
                position += (int)Math.Min(bodyBytes, available);
                left -= inBlock;
            }
        }
        return position;
    }

    private static long DecodeMiniblock<T>(ReadOnlySpan<byte> body, int width, long minDelta, long last, Span<T> destination, Span<ulong> deltas)
        where T : unmanaged
    {
        var groupBytes = Group * width / 8;
        for (var start = 0; start < destination.Length; start += Group)
        {
            var count = Math.Min(Group, destination.Length - start);
            BitPacking.Unpack(body[(start / Group * groupBytes)..], width, deltas[..count]);
            for (var k = 0; k < count; k++)
            {
                last = unchecked(last + minDelta + (long)deltas[k]);
                Store(destination, start + k, last);
            }
        }
        return last;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Span<T> destination, int index, long value)
        where T : unmanaged
    {
        ref var slot = ref destination[index];
        if (typeof(T) == typeof(int))
            Unsafe.As<T, int>(ref slot) = unchecked((int)value);
        else
            Unsafe.As<T, long>(ref slot) = value;
    }

    private readonly record struct Header(int Miniblocks, int MiniblockValues, int TotalCount, long FirstValue);

    private static Header ReadHeader(ReadOnlySpan<byte> data, ref int position)
    {
        var blockSize = Uleb128.ReadCount(data, ref position, "DELTA_BINARY_PACKED block size");
        var miniblocks = Uleb128.ReadCount(data, ref position, "DELTA_BINARY_PACKED miniblock count");
        var total = Uleb128.ReadCount(data, ref position, "DELTA_BINARY_PACKED value count");
        var first = Uleb128.ReadZigZag(data, ref position);
        if (blockSize == 0 || blockSize % 128 != 0)
            CorruptPage.Throw($"DELTA_BINARY_PACKED block size {blockSize} is not a positive multiple of 128.");
        if (miniblocks == 0 || miniblocks > blockSize / Group || blockSize % (miniblocks * Group) != 0)
            CorruptPage.Throw($"DELTA_BINARY_PACKED block of {blockSize} values cannot split into {miniblocks} miniblocks of a multiple of 32.");
        return new Header(miniblocks, blockSize / miniblocks, total, first);
    }
}
