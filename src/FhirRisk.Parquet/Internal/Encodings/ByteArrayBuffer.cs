using System.Runtime.CompilerServices;

namespace FhirRisk.Parquet.Internal.Encodings;

/// <summary>
/// A growable column of byte-array values stored as one byte block plus offsets: value <c>i</c> is
/// <c>Data[Offsets[i]..Offsets[i + 1]]</c>. Decoders append to it; <see cref="Clear"/> keeps the arrays so one
/// buffer serves every page of a column chunk without reallocating.
/// </summary>
internal sealed class ByteArrayBuffer
{
    private byte[] _data;
    private int[] _offsets;

    public ByteArrayBuffer(int valueCapacity = 16, int byteCapacity = 256)
    {
        _data = new byte[Math.Max(byteCapacity, 0)];
        _offsets = new int[Math.Max(valueCapacity, 0) + 1];
    }

    /// <summary>The value bytes; only the first <see cref="ByteLength"/> are meaningful.</summary>
    public byte[] Data => _data;

    /// <summary>Start offsets; <c>Offsets[Count]</c> is the end of the last value. Longer than <c>Count + 1</c>.</summary>
    public int[] Offsets => _offsets;

    public int Count { get; private set; }

    /// <summary>Total bytes of all values.</summary>
    public int ByteLength => _offsets[Count];

    public ReadOnlySpan<byte> this[int i] => Get(i);

    public void Clear() => Count = 0;

    public ReadOnlySpan<byte> Get(int i)
    {
        if ((uint)i >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(i), i, $"Index must be below {Count}.");
        var start = _offsets[i];
        return new ReadOnlySpan<byte>(_data, start, _offsets[i + 1] - start);
    }

    public void Add(ReadOnlySpan<byte> value)
    {
        var start = _offsets[Count];
        if (Count + 2 > _offsets.Length || value.Length > _data.Length - start)
            Reserve(1, value.Length);
        value.CopyTo(new Span<byte>(_data, start, value.Length));
        _offsets[++Count] = start + value.Length;
    }

    /// <summary>
    /// Appends the first <paramref name="prefixLength"/> bytes of the last value followed by <paramref name="suffix"/>
    /// (front coding, DELTA_BYTE_ARRAY). The caller guarantees a last value at least that long.
    /// </summary>
    public void AddWithPrefixOfLast(int prefixLength, ReadOnlySpan<byte> suffix)
    {
        Reserve(1, (long)prefixLength + suffix.Length);
        var start = _offsets[Count];
        var previous = _offsets[Count - 1];
        // Reserve may have moved _data, so the prefix is read from the array only after it.
        _data.AsSpan(previous, prefixLength).CopyTo(_data.AsSpan(start));
        suffix.CopyTo(new Span<byte>(_data, start + prefixLength, suffix.Length));
        _offsets[++Count] = start + prefixLength + suffix.Length;
    }

    /// <summary>Appends values whose bytes lie back to back in <paramref name="concatenated"/>, split by <paramref name="lengths"/>.</summary>
    public void AddConcatenated(ReadOnlySpan<byte> concatenated, ReadOnlySpan<int> lengths)
    {
        Reserve(lengths.Length, concatenated.Length);
        var start = _offsets[Count];
        concatenated.CopyTo(new Span<byte>(_data, start, concatenated.Length));
        var offsets = new Span<int>(_offsets, Count + 1, lengths.Length);
        var end = start;
        for (var i = 0; i < lengths.Length; i++)
        {
            end += lengths[i];
            offsets[i] = end;
        }
        if (end - start != concatenated.Length)
            CorruptPage.Throw($"Value lengths add up to {end - start} bytes but {concatenated.Length} were given.");
        Count += lengths.Length;
    }

    /// <summary>Makes room for <paramref name="values"/> more values holding <paramref name="bytes"/> more bytes.</summary>
    public void Reserve(int values, long bytes)
    {
        var neededValues = (long)Count + values + 1;
        var neededBytes = _offsets[Count] + bytes;
        if (neededBytes > Array.MaxLength || neededValues > Array.MaxLength)
            CorruptPage.Throw($"Byte-array values would need {neededBytes} bytes, more than one buffer can hold.");
        if (neededValues > _offsets.Length)
            Array.Resize(ref _offsets, GrowTo(_offsets.Length, neededValues));
        if (neededBytes > _data.Length)
            Array.Resize(ref _data, GrowTo(_data.Length, neededBytes));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int GrowTo(int current, long needed) =>
        (int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Max(16L, current * 2L)));
}
