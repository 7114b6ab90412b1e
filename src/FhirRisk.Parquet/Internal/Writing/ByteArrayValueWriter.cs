using System.Buffers;
using System.Runtime.CompilerServices;
using FhirRisk.Parquet.Internal.Encodings;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal.Writing;

/// <summary>
/// BYTE_ARRAY values (strings as UTF-8, or binary). With dictionaries enabled the chunk is first dictionary-encoded;
/// if the dictionary's PLAIN size passes <see cref="ParquetWriterOptions.DictionaryPageSizeLimit"/> the whole chunk
/// falls back to PLAIN (Encodings.md allows either; one encoding per chunk keeps readers simple).
/// </summary>
internal sealed class ByteArrayValueWriter : ValueWriter
{
    private readonly ByteArrayBuffer _bytes;
    private readonly int[]? _indices;
    private readonly int _bitWidth;

    private ByteArrayValueWriter(ByteArrayBuffer bytes, int[]? indices)
    {
        _bytes = bytes;
        _indices = indices;
        _bitWidth = indices is null ? 0 : Math.Max(1, RleBitPackedHybrid.BitWidth(Math.Max(bytes.Count - 1, 0)));
    }

    public override Encoding DataEncoding => _indices is null ? Encoding.Plain : Encoding.RleDictionary;

    public override bool HasDictionary => _indices is not null;

    public override int DictionarySize => _indices is null ? 0 : _bytes.Count;

    public static ByteArrayValueWriter ForStrings(string[] values, int offset, int count, ParquetWriterOptions options)
    {
        if (options.DictionaryEnabled && TryDictionary(values, offset, count, options.DictionaryPageSizeLimit, StringComparer.Ordinal, AddUtf8) is { } encoded)
            return encoded;
        var bytes = new ByteArrayBuffer();
        for (var i = 0; i < count; i++)
            AddUtf8(bytes, values[offset + i]);
        return new ByteArrayValueWriter(bytes, null);
    }

    public static ByteArrayValueWriter ForBinary(byte[][] values, int offset, int count, ParquetWriterOptions options)
    {
        if (options.DictionaryEnabled && TryDictionary(values, offset, count, options.DictionaryPageSizeLimit, ByteArrayContentComparer.Instance, static (b, v) => b.Add(v)) is { } encoded)
            return encoded;
        var bytes = new ByteArrayBuffer();
        for (var i = 0; i < count; i++)
            bytes.Add(values[offset + i]);
        return new ByteArrayValueWriter(bytes, null);
    }

    public override int CostBits(int index) => _indices is null ? (4 + _bytes.Get(index).Length) * 8 : _bitWidth;

    public override void Encode(int from, int to, IBufferWriter<byte> output)
    {
        if (_indices is not null)
        {
            // RLE_DICTIONARY data: one byte of bit width, then the RLE/bit-packed hybrid without a length prefix.
            output.GetSpan(1)[0] = (byte)_bitWidth;
            output.Advance(1);
            RleBitPackedHybrid.Encode(_indices.AsSpan(from, to - from), _bitWidth, output);
            return;
        }
        for (var i = from; i < to; i++)
            PlainEncoding.EncodeByteArray(_bytes.Get(i), output);
    }

    public override void EncodeDictionary(IBufferWriter<byte> output)
    {
        for (var i = 0; i < _bytes.Count; i++)
            PlainEncoding.EncodeByteArray(_bytes.Get(i), output);
    }

    /// <summary>Unsigned lexicographic byte order, the TypeDefinedOrder for BYTE_ARRAY (and UTF-8 code point order for strings).</summary>
    // Skips tiering for the reason given at ColumnShredder.ShredOptional (per-value loop, run once per process).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override (byte[]? Min, byte[]? Max) MinMax()
    {
        if (_bytes.Count == 0)
            return (null, null);
        int min = 0, max = 0;
        for (var i = 1; i < _bytes.Count; i++)
        {
            var value = _bytes.Get(i);
            if (value.SequenceCompareTo(_bytes.Get(min)) < 0) min = i;
            if (value.SequenceCompareTo(_bytes.Get(max)) > 0) max = i;
        }
        return (_bytes.Get(min).ToArray(), _bytes.Get(max).ToArray());
    }

    // Skips tiering for the reason given at ColumnShredder.ShredOptional (per-value loop, run once per process).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ByteArrayValueWriter? TryDictionary<T>(T[] values, int offset, int count, int sizeLimit,
        IEqualityComparer<T> comparer, Action<ByteArrayBuffer, T> add)
        where T : class
    {
        var dictionary = new Dictionary<T, int>(comparer);
        var bytes = new ByteArrayBuffer();
        var indices = new int[count];
        long plainSize = 0;
        T? previous = null;
        var previousIndex = -1;
        for (var i = 0; i < count; i++)
        {
            var value = values[offset + i];
            // Runs of the same instance are common (a code repeated across a subject's rows): skip the hash lookup.
            if (ReferenceEquals(value, previous))
            {
                indices[i] = previousIndex;
                continue;
            }
            if (!dictionary.TryGetValue(value, out var index))
            {
                index = dictionary.Count;
                dictionary.Add(value, index);
                add(bytes, value);
                plainSize += 4 + bytes.Get(index).Length;
                if (plainSize > sizeLimit)
                    return null;
            }
            indices[i] = index;
            previous = value;
            previousIndex = index;
        }
        return new ByteArrayValueWriter(bytes, indices);
    }

    /// <summary>UTF-8 that refuses an unpaired surrogate instead of writing U+FFFD for it: replacement would merge distinct
    /// values silently, which the reader refuses to do too (review s21-parquet L2).</summary>
    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <exception cref="System.Text.EncoderFallbackException">The value holds an unpaired surrogate.</exception>
    private static void AddUtf8(ByteArrayBuffer bytes, string value)
    {
        var length = StrictUtf8.GetMaxByteCount(value.Length) <= 512 ? 512 : StrictUtf8.GetByteCount(value);
        Span<byte> scratch = length <= 512 ? stackalloc byte[512] : new byte[length];
        var written = StrictUtf8.GetBytes(value, scratch);
        bytes.Add(scratch[..written]);
    }
}

/// <summary>Content equality for byte arrays (dictionary keys of binary columns).</summary>
internal sealed class ByteArrayContentComparer : IEqualityComparer<byte[]>
{
    public static readonly ByteArrayContentComparer Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }
}
