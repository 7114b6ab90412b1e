using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// The RLE / bit-packing hybrid (parquet-format Encodings.md, "Run Length Encoding / Bit-Packing Hybrid (RLE = 3)"):
/// a sequence of runs, each headed by a ULEB128 varint. An even header <c>n &lt;&lt; 1</c> is an RLE run of
/// <c>n</c> copies of one value stored in <c>ceil(bitWidth / 8)</c> little-endian bytes; an odd header
/// <c>g &lt;&lt; 1 | 1</c> is a bit-packed run of <c>g</c> groups of 8 values (<c>g * bitWidth</c> bytes, LSB first).
/// Used for repetition/definition levels, dictionary indices and RLE booleans.
/// </summary>
internal static class RleBitPackedHybrid
{
    /// <summary>Runs of at least this many equal values are written as RLE runs.</summary>
    private const int MinRepeatRun = 8;

    /// <summary>Bits needed for values 0..<paramref name="maxValue"/> (0 for a max of 0).</summary>
    public static int BitWidth(int maxValue) => maxValue <= 0 ? 0 : 32 - int.LeadingZeroCount(maxValue);

    /// <summary>
    /// Decodes exactly <c>destination.Length</c> values and returns the bytes consumed. The final bit-packed run may
    /// hold padding values beyond the count; its bytes count as consumed as far as the data reaches.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> data, int bitWidth, Span<int> destination)
    {
        if ((uint)bitWidth > 32)
            CorruptPage.Throw($"RLE/bit-packed bit width {bitWidth} is outside 0..32.");
        var valueBytes = (bitWidth + 7) >> 3;
        var position = 0;
        var filled = 0;
        while (filled < destination.Length)
        {
            if (position >= data.Length)
                CorruptPage.Throw($"RLE/bit-packed data ends after {filled} of {destination.Length} values.");
            var header = Uleb128.ReadUInt32(data, ref position);
            var remaining = destination.Length - filled;
            if ((header & 1) == 0)
            {
                var count = (int)Math.Min(header >> 1, (uint)remaining);
                var value = ReadRunValue(data, ref position, valueBytes);
                destination.Slice(filled, count).Fill(value);
                filled += count;
            }
            else
            {
                var runBytes = (long)(header >> 1) * bitWidth;
                var count = (int)Math.Min((long)(header >> 1) * 8, remaining);
                var available = data.Length - position;
                if (((long)count * bitWidth + 7) >> 3 > available)
                    CorruptPage.Throw($"Bit-packed run of {count} values at width {bitWidth} needs more than the {available} bytes left.");
                BitPacking.Unpack(data[position..], bitWidth, destination.Slice(filled, count));
                position += (int)Math.Min(runBytes, available);
                filled += count;
            }
        }
        return position;
    }

    /// <summary>
    /// How many values <paramref name="data"/> encodes, counting no further than <paramref name="limit"/>, by walking the
    /// run headers alone (nothing is decoded or allocated). A reader compares it with a page's declared count before it
    /// makes room for the values: a corrupt count then fails at once instead of after a buffer of its size is allocated.
    /// The count matches what <see cref="Decode"/> accepts, a last bit-packed run cut short included.
    /// </summary>
    public static int CountValues(ReadOnlySpan<byte> data, int bitWidth, int limit)
    {
        if ((uint)bitWidth > 32)
            CorruptPage.Throw($"RLE/bit-packed bit width {bitWidth} is outside 0..32.");
        var valueBytes = (bitWidth + 7) >> 3;
        var position = 0;
        long counted = 0;
        while (counted < limit && position < data.Length)
        {
            var header = Uleb128.ReadUInt32(data, ref position);
            if ((header & 1) == 0)
            {
                if (valueBytes > data.Length - position)
                    break;
                position += valueBytes;
                counted += header >> 1;
                continue;
            }
            var runBytes = (long)(header >> 1) * bitWidth;
            var available = data.Length - position;
            if (runBytes > available)
            {
                counted += available * 8L / bitWidth;
                break;
            }
            position += (int)runBytes;
            counted += (long)(header >> 1) * 8;
        }
        return (int)Math.Min(counted, limit);
    }

    private static int ReadRunValue(ReadOnlySpan<byte> data, ref int position, int valueBytes)
    {
        if (valueBytes > data.Length - position)
            CorruptPage.Throw("RLE run value runs past the end of the data.");
        var bytes = data.Slice(position, valueBytes);
        position += valueBytes;
        return valueBytes switch
        {
            0 => 0,
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
            3 => bytes[0] | bytes[1] << 8 | bytes[2] << 16,
            _ => BinaryPrimitives.ReadInt32LittleEndian(bytes),
        };
    }

    /// <summary>
    /// Encodes <paramref name="values"/> (each in 0..2^bitWidth-1): runs of 8 or more equal values that start on a
    /// group boundary become RLE runs, everything else bit-packed groups of 8 (the last group zero-padded).
    /// </summary>
    // Skips tiering: levels and dictionary indices of a whole chunk pass here, in processes that write one dataset and
    // exit (see ColumnShredder.ShredOptional).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Encode(ReadOnlySpan<int> values, int bitWidth, IBufferWriter<byte> output)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)bitWidth, 32u, nameof(bitWidth));
        var literalStart = 0;
        var position = 0;
        while (position < values.Length)
        {
            var run = values[position..].IndexOfAnyExcept(values[position]);
            run = run < 0 ? values.Length - position : run;
            if (run >= MinRepeatRun)
            {
                WriteBitPacked(values[literalStart..position], bitWidth, output);
                WriteRepeat(values[position], run, bitWidth, output);
                position += run;
                literalStart = position;
            }
            else
            {
                // Literal runs grow a whole group at a time so that only the very last group is ever padded.
                position = Math.Min(position + 8, values.Length);
            }
        }
        WriteBitPacked(values[literalStart..position], bitWidth, output);
    }

    private static void WriteRepeat(int value, int count, int bitWidth, IBufferWriter<byte> output)
    {
        var valueBytes = (bitWidth + 7) >> 3;
        var span = output.GetSpan(Uleb128.MaxLength + 4);
        var written = Uleb128.Write((ulong)count << 1, span);
        for (var b = 0; b < valueBytes; b++)
            span[written++] = (byte)(value >> (8 * b));
        output.Advance(written);
    }

    private static void WriteBitPacked(ReadOnlySpan<int> values, int bitWidth, IBufferWriter<byte> output)
    {
        if (values.IsEmpty)
            return;
        var groups = (values.Length + 7) >> 3;
        var bodyBytes = groups * bitWidth;
        var span = output.GetSpan(Uleb128.MaxLength + bodyBytes);
        var written = Uleb128.Write(((ulong)groups << 1) | 1, span);
        var body = span.Slice(written, bodyBytes);
        body.Clear();
        BitPacking.Pack(values, bitWidth, body);
        output.Advance(written + bodyBytes);
    }
}
