using System.Buffers;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// DELTA_LENGTH_BYTE_ARRAY (parquet-format Encodings.md, "Delta-length byte array (DELTA_LENGTH_BYTE_ARRAY = 6)"):
/// all value lengths as one DELTA_BINARY_PACKED sequence, then all value bytes concatenated.
/// </summary>
internal static class DeltaLengthByteArray
{
    /// <summary>Appends <paramref name="count"/> values to <paramref name="destination"/>; returns the bytes consumed.</summary>
    public static int Decode(ReadOnlySpan<byte> data, int count, ByteArrayBuffer destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var lengths = ReadLengths(data, count, out var position, out var totalBytes);
        try
        {
            if (totalBytes > data.Length - position)
                CorruptPage.Throw($"DELTA_LENGTH_BYTE_ARRAY lengths add up to {totalBytes} bytes but only {data.Length - position} remain.");
            destination.AddConcatenated(data.Slice(position, (int)totalBytes), lengths.AsSpan(0, count));
            return position + (int)totalBytes;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(lengths);
        }
    }

    /// <summary>
    /// Reads <paramref name="count"/> non-negative lengths (a pooled array the caller returns) and their sum.
    /// The encoded count may exceed <paramref name="count"/>; it may not fall short of it.
    /// </summary>
    internal static int[] ReadLengths(ReadOnlySpan<byte> data, int count, out int consumed, out long totalBytes)
    {
        var declared = DeltaBinaryPacked.ReadTotalCount(data);
        if (declared < count)
            CorruptPage.Throw($"Delta-encoded lengths hold {declared} values where {count} are needed.");
        var lengths = ArrayPool<int>.Shared.Rent(Math.Max(count, 1));
        try
        {
            consumed = DeltaBinaryPacked.Decode(data, lengths.AsSpan(0, count));
            totalBytes = 0;
            foreach (var length in lengths.AsSpan(0, count))
            {
                if (length < 0)
                    CorruptPage.Throw($"Delta-encoded byte-array length {length} is negative.");
                totalBytes += length;
            }
            return lengths;
        }
        catch
        {
            ArrayPool<int>.Shared.Return(lengths);
            throw;
        }
    }

    public static void Encode(ByteArrayBuffer values, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(values);
        var lengths = ArrayPool<int>.Shared.Rent(Math.Max(values.Count, 1));
        try
        {
            var offsets = values.Offsets;
            for (var i = 0; i < values.Count; i++)
                lengths[i] = offsets[i + 1] - offsets[i];
            DeltaBinaryPacked.Encode(lengths.AsSpan(0, values.Count), output);
            output.Write(values.Data.AsSpan(0, values.ByteLength));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(lengths);
        }
    }
}
