using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FhirRisk.Parquet.Internal.Encodings;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal.Writing;

/// <summary>
/// Encodes the present values of one column chunk: chooses dictionary or PLAIN, encodes page-sized ranges, and
/// computes the chunk's min/max. Implementations exist per physical type.
/// </summary>
internal abstract class ValueWriter
{
    /// <summary>Encoding of the data pages (PLAIN or RLE_DICTIONARY).</summary>
    public virtual Encoding DataEncoding => Encoding.Plain;

    /// <summary>True when <see cref="EncodeDictionary"/> must be written as the chunk's first page.</summary>
    public virtual bool HasDictionary => false;

    public virtual int DictionarySize => 0;

    /// <summary>Approximate encoded size of value <paramref name="index"/> in bits, for cutting pages.</summary>
    public abstract int CostBits(int index);

    /// <summary>Appends the encoding of present values [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public abstract void Encode(int from, int to, IBufferWriter<byte> output);

    public virtual void EncodeDictionary(IBufferWriter<byte> output) => throw new InvalidOperationException("No dictionary.");

    /// <summary>PLAIN-encoded (min, max) over all present values, or nulls when there are none or the order is unsafe to state (NaN).</summary>
    public abstract (byte[]? Min, byte[]? Max) MinMax();

    private static ValueWriter Strings(string[] values, ShreddedColumn shredded, ColumnDescriptor column, ParquetWriterOptions options)
    {
        try
        {
            return ByteArrayValueWriter.ForStrings(values, shredded.ValueOffset, shredded.ValueCount, options);
        }
        catch (System.Text.EncoderFallbackException)
        {
            throw new ParquetException(ParquetErrorCodes.SchemaMismatch,
                $"Column '{column.DottedPath}' holds a string with an unpaired UTF-16 surrogate, which is no UTF-8 text; fix or drop the value.");
        }
    }

    public static ValueWriter Create(ShreddedColumn shredded, ColumnDescriptor column, ParquetWriterOptions options) => shredded.Values switch
    {
        bool[] v => new BooleanValueWriter(v, shredded.ValueOffset, shredded.ValueCount),
        int[] v => new FixedValueWriter<int>(v, shredded.ValueOffset, shredded.ValueCount),
        long[] v => new FixedValueWriter<long>(v, shredded.ValueOffset, shredded.ValueCount),
        float[] v => new FixedValueWriter<float>(v, shredded.ValueOffset, shredded.ValueCount),
        double[] v => new FixedValueWriter<double>(v, shredded.ValueOffset, shredded.ValueCount),
        string[] v => Strings(v, shredded, column, options),
        byte[][] v => ByteArrayValueWriter.ForBinary(v, shredded.ValueOffset, shredded.ValueCount, options),
        _ => throw new InvalidOperationException($"Unexpected value array {shredded.Values.GetType().Name} for '{column.DottedPath}'."),
    };
}

/// <summary>INT32, INT64, FLOAT, DOUBLE: PLAIN little-endian, written straight from the caller's array.</summary>
internal sealed class FixedValueWriter<T>(T[] values, int offset, int count) : ValueWriter
    where T : unmanaged, IComparable<T>
{
    public override int CostBits(int index) => System.Runtime.CompilerServices.Unsafe.SizeOf<T>() * 8;

    public override void Encode(int from, int to, IBufferWriter<byte> output) =>
        PlainEncoding.Encode<T>(values.AsSpan(offset + from, to - from), output);

    // Skips tiering for the reason given at ColumnShredder.ShredOptional (per-value loop, run once per process).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override (byte[]? Min, byte[]? Max) MinMax()
    {
        var span = values.AsSpan(offset, count);
        var found = false;
        T min = default, max = default;
        foreach (var value in span)
        {
            // parquet.thrift (ColumnOrder notes) only asks that NaN stay out of min/max, but DuckDB orders NaN above every
            // number and trusts the bounds, so `x > 2.5` would skip a chunk whose NaN rows it should return. Like
            // DuckDB's own writer, a chunk holding NaN gets no bounds at all (null_count only).
            if (IsNaN(value))
                return (null, null);
            if (!found)
            {
                min = max = value;
                found = true;
                continue;
            }
            if (value.CompareTo(min) < 0) min = value;
            if (value.CompareTo(max) > 0) max = value;
        }
        if (!found)
            return (null, null);
        // Zero min is written as -0.0 and zero max as +0.0 so readers need not know which zero was seen.
        min = IsZero(min) ? Negate(min) : min;
        max = IsZero(max) ? Positive(max) : max;
        return (Bytes(min), Bytes(max));
    }

    private static bool IsNaN(T value) => value is float f ? float.IsNaN(f) : value is double d && double.IsNaN(d);

    private static bool IsZero(T value) => value is float f ? f == 0 : value is double d && d == 0;

    private static T Negate(T value) => value is float ? (T)(object)(-0f) : (T)(object)(-0d);

    private static T Positive(T value) => value is float ? (T)(object)0f : (T)(object)0d;

    private static byte[] Bytes(T value) => MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();
}

/// <summary>BOOLEAN: PLAIN bit-packed, least significant bit first.</summary>
internal sealed class BooleanValueWriter(bool[] values, int offset, int count) : ValueWriter
{
    public override int CostBits(int index) => 1;

    public override void Encode(int from, int to, IBufferWriter<byte> output) =>
        PlainEncoding.EncodeBooleans(values.AsSpan(offset + from, to - from), output);

    public override (byte[]? Min, byte[]? Max) MinMax()
    {
        if (count == 0)
            return (null, null);
        var span = values.AsSpan(offset, count);
        return ([(byte)(span.Contains(false) ? 0 : 1)], [(byte)(span.Contains(true) ? 1 : 0)]);
    }
}
