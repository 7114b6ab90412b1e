using FhirRisk.Parquet.Internal.Encodings;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal.Reading;

/// <summary>
/// BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY leaves materialized as <typeparamref name="T"/> (string or byte[]).
/// Dictionary entries are converted once, so a dictionary-encoded page costs one array store per value.
/// </summary>
internal sealed class ByteArrayLeafDecoder<T> : LeafDecoder
    where T : class
{
    private readonly int _fixedLength;
    private readonly Func<ReadOnlySpan<byte>, T> _convert;
    private readonly int _maxExpandedBytes;
    private readonly ByteArrayBuffer _scratch = new();
    private T?[] _values = [];
    private T[]? _dictionary;

    public ByteArrayLeafDecoder(int fixedLength, Func<ReadOnlySpan<byte>, T> convert, int maxExpandedBytes = int.MaxValue)
    {
        _fixedLength = fixedLength;
        _convert = convert;
        _maxExpandedBytes = maxExpandedBytes;
    }

    public override Array Values => _values;

    public override void Reserve(int capacity) => _values = Grow(_values, capacity);

    public override void ReadDictionary(ReadOnlySpan<byte> data, int count)
    {
        DecodePlain(data, count);
        _dictionary = new T[count];
        for (var i = 0; i < count; i++)
            _dictionary[i] = _convert(_scratch[i]);
    }

    public override void ReadValues(Encoding encoding, ReadOnlySpan<byte> data, int count)
    {
        CheckDeclaredCount(encoding, data, count, plainBits: _fixedLength > 0 ? _fixedLength * 8 : 32, byteArrayDelta: true);
        _values = Grow(_values, Count + count);
        var destination = _values.AsSpan(Count, count);
        switch (encoding)
        {
            case Encoding.PlainDictionary or Encoding.RleDictionary:
                Gather(_dictionary, data, destination);
                Count += count;
                return;
            case Encoding.Plain:
                DecodePlain(data, count);
                break;
            case Encoding.DeltaLengthByteArray when _fixedLength == 0:
                _scratch.Clear();
                DeltaLengthByteArray.Decode(data, count, _scratch);
                break;
            case Encoding.DeltaByteArray:
                _scratch.Clear();
                DeltaByteArray.Decode(data, count, _scratch, _maxExpandedBytes);
                break;
            case Encoding.ByteStreamSplit when _fixedLength > 0:
                if ((long)count * _fixedLength > data.Length)
                    throw new ParquetException(ParquetErrorCodes.CorruptPage, $"Page declares {count} values of {_fixedLength} bytes but holds {data.Length} bytes.");
                var joined = new byte[count * _fixedLength];
                ByteStreamSplit.Decode(data, _fixedLength, count, joined);
                SplitFixed(joined, count);
                break;
            default:
                throw UnsupportedEncoding(encoding, _fixedLength > 0 ? "FIXED_LEN_BYTE_ARRAY" : "BYTE_ARRAY");
        }
        if (_scratch.Count != count)
            throw new ParquetException(ParquetErrorCodes.CorruptPage, $"Page decoded {_scratch.Count} values where {count} were declared.");
        for (var i = 0; i < count; i++)
            destination[i] = _convert(_scratch[i]);
        Count += count;
    }

    private void DecodePlain(ReadOnlySpan<byte> data, int count)
    {
        _scratch.Clear();
        if (_fixedLength == 0)
        {
            PlainEncoding.DecodeByteArrays(data, count, _scratch);
            return;
        }
        if ((long)count * _fixedLength > data.Length)
            throw new ParquetException(ParquetErrorCodes.CorruptPage, $"Page declares {count} values of {_fixedLength} bytes but holds {data.Length} bytes.");
        SplitFixed(data, count);
    }

    private void SplitFixed(ReadOnlySpan<byte> data, int count)
    {
        _scratch.Clear();
        for (var i = 0; i < count; i++)
            _scratch.Add(data.Slice(i * _fixedLength, _fixedLength));
    }
}
