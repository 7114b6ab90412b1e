using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FhirRisk.Parquet.Internal.Encodings;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal.Reading;

/// <summary>
/// Decodes the non-null leaf values of one column chunk, page by page, into one growing typed array
/// (<see cref="Values"/>, first <see cref="Count"/> entries valid). Subclasses exist per physical type; dictionary
/// pages are kept decoded so dictionary-encoded pages are a gather (Encodings.md "Dictionary Encoding").
/// </summary>
internal abstract class LeafDecoder
{
    public abstract Array Values { get; }

    public int Count { get; protected set; }

    /// <summary>Sizes the value store for <paramref name="capacity"/> values (a hint; it still grows when needed).</summary>
    public abstract void Reserve(int capacity);

    public abstract void ReadDictionary(ReadOnlySpan<byte> data, int count);

    public abstract void ReadValues(Encoding encoding, ReadOnlySpan<byte> data, int count);

    /// <param name="maxExpandedPageBytes">The most bytes one page's values may expand to where an encoding can make more
    /// of fewer (DELTA_BYTE_ARRAY's shared prefixes): <see cref="ParquetReaderOptions.MaxPageSize"/>.</param>
    public static LeafDecoder Create(ColumnDescriptor column, int maxExpandedPageBytes = int.MaxValue) => column.PhysicalType switch
    {
        _ when column.Field.Type == ParquetType.Decimal => new DecimalLeafDecoder(column),
        PhysicalType.Boolean => new BooleanLeafDecoder(),
        PhysicalType.Int32 => new FixedLeafDecoder<int>(),
        PhysicalType.Int64 => new FixedLeafDecoder<long>(),
        PhysicalType.Float => new FixedLeafDecoder<float>(),
        PhysicalType.Double => new FixedLeafDecoder<double>(),
        PhysicalType.ByteArray or PhysicalType.FixedLenByteArray when column.Field.Type == ParquetType.String =>
            new ByteArrayLeafDecoder<string>(column.TypeLength, Utf8Strings.Decode, maxExpandedPageBytes),
        PhysicalType.ByteArray or PhysicalType.FixedLenByteArray =>
            new ByteArrayLeafDecoder<byte[]>(column.TypeLength, static span => span.ToArray(), maxExpandedPageBytes),
        _ => throw new ParquetException(ParquetErrorCodes.Unsupported, $"Physical type {column.PhysicalType} is not supported."),
    };

    protected static Exception UnsupportedEncoding(Encoding encoding, string type) =>
        new ParquetException(ParquetErrorCodes.Unsupported, $"Encoding {encoding} is not supported for {type} values.");

    /// <summary>
    /// Refuses a page that declares more values than its bytes can encode, before the value store grows for them (a
    /// corrupt count must fail at once, not after an allocation of its size). <paramref name="plainBits"/> is the least
    /// a PLAIN or BYTE_STREAM_SPLIT value takes (a byte array's 4-byte length; 0 where the encoding is not of that kind).
    /// Dictionary indices are counted by their run headers, the delta encodings by their header's total; RLE runs can
    /// stand for any count in a few bytes, which the column chunk's limits bound.
    /// </summary>
    protected static void CheckDeclaredCount(Encoding encoding, ReadOnlySpan<byte> data, int count, int plainBits,
        bool integerDelta = false, bool byteArrayDelta = false)
    {
        if (count == 0)
            return;
        long holds = encoding switch
        {
            Encoding.Plain or Encoding.ByteStreamSplit when plainBits > 0 => data.Length * 8L / plainBits,
            Encoding.PlainDictionary or Encoding.RleDictionary when data.Length >= 1 && data[0] <= 32 =>
                RleBitPackedHybrid.CountValues(data[1..], data[0], count),
            Encoding.DeltaBinaryPacked when integerDelta => DeltaBinaryPacked.ReadTotalCount(data),
            Encoding.DeltaLengthByteArray or Encoding.DeltaByteArray when byteArrayDelta => DeltaBinaryPacked.ReadTotalCount(data),
            _ => long.MaxValue,
        };
        if (holds < count)
            throw new ParquetException(ParquetErrorCodes.CorruptPage,
                $"Page declares {count} values but its {data.Length} bytes of {encoding} hold at most {holds}.");
    }

    /// <summary>
    /// Decodes RLE_DICTIONARY / PLAIN_DICTIONARY indices (one byte of bit width, then the RLE/bit-packed hybrid) and
    /// looks each up in <paramref name="dictionary"/>.
    /// </summary>
    protected static void Gather<T>(T[]? dictionary, ReadOnlySpan<byte> data, Span<T> destination)
    {
        var count = destination.Length;
        if (count == 0)
            return;
        if (dictionary is null)
            throw new ParquetException(ParquetErrorCodes.CorruptPage, "A dictionary-encoded page appears before any dictionary page.");
        if (data.Length < 1)
            throw new ParquetException(ParquetErrorCodes.CorruptPage, "Dictionary-encoded page has no bit-width byte.");
        int bitWidth = data[0];
        if (bitWidth > 32)
            throw new ParquetException(ParquetErrorCodes.CorruptPage, $"Dictionary index bit width {bitWidth} exceeds 32.");
        var indices = ArrayPool<int>.Shared.Rent(count);
        try
        {
            RleBitPackedHybrid.Decode(data[1..], bitWidth, indices.AsSpan(0, count));
            for (var i = 0; i < count; i++)
            {
                var index = indices[i];
                if ((uint)index >= (uint)dictionary.Length)
                    throw new ParquetException(ParquetErrorCodes.CorruptPage, $"Dictionary index {index} is out of range (dictionary has {dictionary.Length} entries).");
                destination[i] = dictionary[index];
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(indices);
        }
    }

    protected static T[] Grow<T>(T[] array, int needed)
    {
        if (needed <= array.Length)
            return array;
        var size = Math.Max(needed, Math.Max(16, array.Length * 2));
        Array.Resize(ref array, size);
        return array;
    }
}

/// <summary>INT32, INT64, FLOAT and DOUBLE leaves.</summary>
internal sealed class FixedLeafDecoder<T> : LeafDecoder
    where T : unmanaged
{
    private T[] _values = [];
    private T[]? _dictionary;

    public override Array Values => _values;

    public override void Reserve(int capacity) => _values = Grow(_values, capacity);

    public override void ReadDictionary(ReadOnlySpan<byte> data, int count)
    {
        CheckFits(data, count);
        _dictionary = new T[count];
        PlainEncoding.Decode(data[..(count * Unsafe.SizeOf<T>())], _dictionary.AsSpan());
    }

    public override void ReadValues(Encoding encoding, ReadOnlySpan<byte> data, int count)
    {
        CheckDeclaredCount(encoding, data, count, Unsafe.SizeOf<T>() * 8, integerDelta: typeof(T) == typeof(int) || typeof(T) == typeof(long));
        _values = Grow(_values, Count + count);
        var destination = _values.AsSpan(Count, count);
        switch (encoding)
        {
            case Encoding.Plain:
                CheckFits(data, count);
                PlainEncoding.Decode(data[..(count * Unsafe.SizeOf<T>())], destination);
                break;
            case Encoding.PlainDictionary or Encoding.RleDictionary:
                Gather(_dictionary, data, destination);
                break;
            case Encoding.ByteStreamSplit:
                CheckFits(data, count);
                ByteStreamSplit.Decode(data, Unsafe.SizeOf<T>(), count, MemoryMarshal.AsBytes(destination));
                break;
            case Encoding.DeltaBinaryPacked when typeof(T) == typeof(int) || typeof(T) == typeof(long):
                // The decoder zero-fills past the stream's own count; a page that declares more values than it holds is corrupt.
                var available = DeltaBinaryPacked.ReadTotalCount(data);
                if (available < count)
                    throw new ParquetException(ParquetErrorCodes.CorruptPage, $"DELTA_BINARY_PACKED stream holds {available} values where {count} were declared.");
                if (typeof(T) == typeof(int))
                    DeltaBinaryPacked.Decode(data, MemoryMarshal.Cast<T, int>(destination));
                else
                    DeltaBinaryPacked.Decode(data, MemoryMarshal.Cast<T, long>(destination));
                break;
            default:
                throw UnsupportedEncoding(encoding, typeof(T).Name);
        }
        Count += count;
    }

    private static void CheckFits(ReadOnlySpan<byte> data, int count)
    {
        if ((long)count * Unsafe.SizeOf<T>() > data.Length)
            throw new ParquetException(ParquetErrorCodes.CorruptPage,
                $"Page declares {count} {typeof(T).Name} values but holds only {data.Length} bytes.");
    }
}

/// <summary>BOOLEAN leaves: PLAIN is bit-packed; RLE (data page v2) is length-prefixed with bit width 1.</summary>
internal sealed class BooleanLeafDecoder : LeafDecoder
{
    private bool[] _values = [];

    public override Array Values => _values;

    public override void Reserve(int capacity) => _values = Grow(_values, capacity);

    public override void ReadDictionary(ReadOnlySpan<byte> data, int count) =>
        throw new ParquetException(ParquetErrorCodes.Unsupported, "Dictionary pages are not supported for BOOLEAN columns.");

    public override void ReadValues(Encoding encoding, ReadOnlySpan<byte> data, int count)
    {
        if (encoding == Encoding.Rle && count > 0 && data.Length >= 4)
        {
            var prefixed = BinaryPrimitives.ReadInt32LittleEndian(data);
            if (prefixed >= 0 && prefixed <= data.Length - 4 && RleBitPackedHybrid.CountValues(data.Slice(4, prefixed), 1, count) < count)
                throw new ParquetException(ParquetErrorCodes.CorruptPage, $"RLE boolean data holds fewer than the page's {count} values.");
        }
        CheckDeclaredCount(encoding, data, count, plainBits: 1);
        _values = Grow(_values, Count + count);
        var destination = _values.AsSpan(Count, count);
        switch (encoding)
        {
            case Encoding.Plain:
                if ((count + 7L) / 8 > data.Length)
                    throw new ParquetException(ParquetErrorCodes.CorruptPage, $"Page declares {count} booleans but holds only {data.Length} bytes.");
                PlainEncoding.DecodeBooleans(data, destination);
                break;
            case Encoding.Rle:
                if (data.Length < 4)
                    throw new ParquetException(ParquetErrorCodes.CorruptPage, "RLE boolean page is missing its 4-byte length.");
                var length = BinaryPrimitives.ReadInt32LittleEndian(data);
                if (length < 0 || length > data.Length - 4)
                    throw new ParquetException(ParquetErrorCodes.CorruptPage, $"RLE boolean length {length} exceeds the page.");
                var bits = ArrayPool<int>.Shared.Rent(Math.Max(count, 1));
                RleBitPackedHybrid.Decode(data.Slice(4, length), 1, bits.AsSpan(0, count));
                for (var i = 0; i < count; i++)
                    destination[i] = bits[i] != 0;
                ArrayPool<int>.Shared.Return(bits);
                break;
            default:
                throw UnsupportedEncoding(encoding, "BOOLEAN");
        }
        Count += count;
    }
}

/// <summary>
/// STRING values are UTF-8 (LogicalTypes.md). Invalid bytes are an error, not U+FFFD: replacement would make distinct
/// damaged values equal (two codes merging into one) without a word; DuckDB and Arrow refuse them too.
/// </summary>
internal static class Utf8Strings
{
    private static readonly System.Text.UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new ParquetException(ParquetErrorCodes.CorruptPage, $"A STRING value is not valid UTF-8 (byte {e.Index} of {bytes.Length}).", e);
        }
    }

    /// <summary>A statistic's bound, or null (no bound) where a writer cut it inside a character.</summary>
    public static string? TryDecode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }
    }
}
