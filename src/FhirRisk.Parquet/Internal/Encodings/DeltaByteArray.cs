using System.Buffers;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// DELTA_BYTE_ARRAY, front coding (parquet-format Encodings.md, "Delta Strings (DELTA_BYTE_ARRAY = 7)"): the lengths
/// of the prefixes shared with the previous value as DELTA_BINARY_PACKED, then the suffixes as DELTA_LENGTH_BYTE_ARRAY.
/// </summary>
internal static class DeltaByteArray
{
    /// <summary>Appends <paramref name="count"/> values to <paramref name="destination"/>; returns the bytes consumed.</summary>
    /// <param name="maxBytes">The most bytes the values may expand to. Shared prefixes cost their bytes once, so a page of
    /// kilobytes can stand for gigabytes; like a codec's output, the expansion is held to the page size limit (review
    /// s21-parquet M1). That bounds one page, not a column chunk of many (docs/formats/parquet.md "What is not bounded").</param>
    /// <exception cref="ParquetException">PQ007 when the values would expand past <paramref name="maxBytes"/>.</exception>
    public static int Decode(ReadOnlySpan<byte> data, int count, ByteArrayBuffer destination, long maxBytes = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(destination);
        var prefixes = DeltaLengthByteArray.ReadLengths(data, count, out var prefixBytes, out var totalPrefix);
        int[]? suffixes = null;
        try
        {
            var rest = data[prefixBytes..];
            suffixes = DeltaLengthByteArray.ReadLengths(rest, count, out var position, out var totalSuffix);
            if (totalSuffix > rest.Length - position)
                CorruptPage.Throw($"DELTA_BYTE_ARRAY suffixes add up to {totalSuffix} bytes but only {rest.Length - position} remain.");
            CheckPrefixes(prefixes.AsSpan(0, count), suffixes.AsSpan(0, count));
            if (totalPrefix + totalSuffix > maxBytes)
                throw new ParquetException(ParquetErrorCodes.SizeLimit,
                    $"DELTA_BYTE_ARRAY page expands to {totalPrefix + totalSuffix} bytes, more than the limit of {maxBytes} (ParquetReaderOptions.MaxPageSize).");
            destination.Reserve(count, totalPrefix + totalSuffix);
            for (var i = 0; i < count; i++)
            {
                var suffix = rest.Slice(position, suffixes[i]);
                position += suffix.Length;
                if (prefixes[i] == 0)
                    destination.Add(suffix);
                else
                    destination.AddWithPrefixOfLast(prefixes[i], suffix);
            }
            return prefixBytes + position;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(prefixes);
            if (suffixes is not null)
                ArrayPool<int>.Shared.Return(suffixes);
        }
    }

    /// <summary>Rejects a prefix longer than the value before it before any value bytes are allocated.</summary>
    private static void CheckPrefixes(ReadOnlySpan<int> prefixes, ReadOnlySpan<int> suffixes)
    {
        long previousLength = 0;
        for (var i = 0; i < prefixes.Length; i++)
        {
            if (prefixes[i] > previousLength)
                CorruptPage.Throw($"DELTA_BYTE_ARRAY value {i} shares a {prefixes[i]}-byte prefix with a {previousLength}-byte predecessor.");
            previousLength = (long)prefixes[i] + suffixes[i];
        }
    }

    public static void Encode(ByteArrayBuffer values, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(values);
        var count = values.Count;
        var prefixes = ArrayPool<int>.Shared.Rent(Math.Max(count, 1));
        var suffixes = ArrayPool<int>.Shared.Rent(Math.Max(count, 1));
        try
        {
            var previous = ReadOnlySpan<byte>.Empty;
            for (var i = 0; i < count; i++)
            {
                var value = values[i];
                prefixes[i] = previous.CommonPrefixLength(value);
                suffixes[i] = value.Length - prefixes[i];
                previous = value;
            }
            DeltaBinaryPacked.Encode(prefixes.AsSpan(0, count), output);
            DeltaBinaryPacked.Encode(suffixes.AsSpan(0, count), output);
            for (var i = 0; i < count; i++)
                output.Write(values[i][prefixes[i]..]);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(prefixes);
            ArrayPool<int>.Shared.Return(suffixes);
        }
    }
}
