using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace FhirRisk.Parquet.Internal.Thrift;

/// <summary>Reads one element of a Thrift list (a struct via its static <c>Read</c>, or a scalar).</summary>
internal delegate T ThriftElementReader<out T>(ref ThriftCompactReader reader);

/// <summary>
/// Decoder for the Thrift compact protocol (apache/thrift doc/specs/thrift-compact-protocol.md) over untrusted bytes.
/// Every declared length is checked against the remaining input before anything is allocated, varints are bounded to
/// 10 bytes and nesting to <see cref="MaxDepth"/>, and every failure is a <see cref="ParquetException"/> whose
/// <see cref="ParquetException.Offset"/> is the position within the span (the caller rebases it to the file).
/// </summary>
internal ref partial struct ThriftCompactReader
{
    /// <summary>Structs and containers nested deeper than this are rejected (parquet.thrift needs fewer than 10).</summary>
    public const int MaxDepth = 64;

    private readonly ReadOnlySpan<byte> _data;
    private FieldIdStack _savedFieldIds;
    private int _depth;
    private short _lastFieldId;
    // A bool field carries its value in the field header's type (compact spec "Struct encoding"); it waits here until
    // read. Stop means no bool is pending.
    private ThriftType _pendingBool;

    public ThriftCompactReader(ReadOnlySpan<byte> data)
    {
        _data = data;
    }

    /// <summary>Offset of the next unread byte, relative to the start of the span.</summary>
    public int Position { get; private set; }

    public readonly int Remaining => _data.Length - Position;

    /// <summary>Enters a struct: field-id deltas restart from zero inside it.</summary>
    public void BeginStruct()
    {
        EnterNesting();
        _savedFieldIds[_depth - 1] = _lastFieldId;
        _lastFieldId = 0;
    }

    /// <summary>Leaves a struct whose STOP field has been read by <see cref="ReadFieldHeader"/>.</summary>
    public void EndStruct()
    {
        _lastFieldId = _savedFieldIds[_depth - 1];
        _depth--;
    }

    /// <summary>Reads the next field header; returns false at the struct's STOP byte.</summary>
    public bool ReadFieldHeader(out short fieldId, out ThriftType type)
    {
        _pendingBool = ThriftType.Stop;
        var header = ReadByte();
        type = (ThriftType)(header & 0x0F);
        if (header == 0)
        {
            fieldId = 0;
            return false;
        }
        if (!type.IsValid())
            throw Corrupt($"Unknown Thrift field type {(int)type}.", Position - 1);
        var delta = header >> 4;
        fieldId = delta == 0 ? ReadI16() : CheckedFieldId(_lastFieldId + delta);
        _lastFieldId = fieldId;
        if (type.IsBool())
            _pendingBool = type;
        return true;
    }

    /// <summary>Reads a bool: the value of the field header just read, or else one element byte (1 = true).</summary>
    public bool ReadBool()
    {
        if (_pendingBool != ThriftType.Stop)
        {
            var value = _pendingBool == ThriftType.BooleanTrue;
            _pendingBool = ThriftType.Stop;
            return value;
        }
        // Element bytes: 1 is true; 2 (spec) and 0 (older writers) are false.
        return ReadByte() == 1;
    }

    public sbyte ReadI8() => (sbyte)ReadByte();

    public short ReadI16()
    {
        var start = Position;
        var value = ReadI32();
        return value is >= short.MinValue and <= short.MaxValue ? (short)value : throw Corrupt($"Value {value} does not fit an i16.", start);
    }

    public int ReadI32()
    {
        var start = Position;
        var raw = ReadVarint();
        if (raw > uint.MaxValue)
            throw Corrupt("Varint does not fit an i32.", start);
        var zigzag = (uint)raw;
        return (int)(zigzag >> 1) ^ -(int)(zigzag & 1);
    }

    public long ReadI64()
    {
        var zigzag = ReadVarint();
        return (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
    }

    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    /// <summary>Reads a length-prefixed binary without copying; the span aliases the input.</summary>
    public ReadOnlySpan<byte> ReadBinarySpan() => Take(ReadCount(1, "binary", Position));

    public byte[] ReadBinary() => ReadBinarySpan().ToArray();

    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadBinarySpan());

    /// <summary>Reads a list or set header; the count is guaranteed to fit the remaining bytes.</summary>
    public int ReadListHeader(out ThriftType elementType)
    {
        var start = Position;
        var header = ReadByte();
        elementType = (ThriftType)(header & 0x0F);
        if (!elementType.IsValid())
            throw Corrupt($"Unknown Thrift list element type {(int)elementType}.", start);
        // Short form holds sizes 0..14 in the high nibble; 15 means a varint size follows (compact spec "List and Set").
        var count = header >> 4;
        return count == 15 ? ReadCount(elementType.MinimumEncodedSize(), "list", start) : EnsureCount(count, elementType.MinimumEncodedSize(), start);
    }

    /// <summary>Reads a map header; key and value types are <see cref="ThriftType.Stop"/> for an empty map.</summary>
    public int ReadMapHeader(out ThriftType keyType, out ThriftType valueType)
    {
        var start = Position;
        var count = ReadCount(2, "map", start);
        keyType = valueType = ThriftType.Stop;
        if (count == 0)
            return 0;
        var types = ReadByte();
        keyType = (ThriftType)(types >> 4);
        valueType = (ThriftType)(types & 0x0F);
        if (!keyType.IsValid() || !valueType.IsValid())
            throw Corrupt($"Unknown Thrift map key/value types 0x{types:X2}.", start);
        return EnsureCount(count, keyType.MinimumEncodedSize() + valueType.MinimumEncodedSize(), start);
    }

    /// <summary>Reads a whole list whose elements must be of <paramref name="expected"/> type.</summary>
    public List<T> ReadList<T>(ThriftType expected, ThriftElementReader<T> readElement)
    {
        var start = Position;
        var count = ReadListHeader(out var elementType);
        if (elementType != expected && !(expected.IsBool() && elementType.IsBool()))
            throw Corrupt($"List elements are {elementType}, expected {expected}.", start);
        EnterNesting();
        var items = new List<T>(count);
        for (var i = 0; i < count; i++)
            items.Add(readElement(ref this));
        _depth--;
        return items;
    }

    /// <summary>Builds the exception for malformed metadata at <paramref name="offset"/> (default: the current position).</summary>
    public readonly ParquetException Corrupt(string message, int? offset = null) =>
        new(ParquetErrorCodes.CorruptMetadata, message) { Offset = offset ?? Position };

    /// <summary>Throws when a required field of <paramref name="structName"/> was absent; bit i of <paramref name="seen"/> marks names[i].</summary>
    public readonly void ThrowIfMissing(uint seen, string structName, ReadOnlySpan<string> requiredFieldNames)
    {
        for (var i = 0; i < requiredFieldNames.Length; i++)
        {
            if ((seen & (1u << i)) == 0)
                throw Corrupt($"{structName} lacks its required field '{requiredFieldNames[i]}'.");
        }
    }

    private void EnterNesting()
    {
        if (_depth >= MaxDepth)
            throw Corrupt($"Thrift structures are nested deeper than {MaxDepth} levels.");
        _depth++;
    }

    private readonly short CheckedFieldId(int fieldId) =>
        fieldId <= short.MaxValue ? (short)fieldId : throw Corrupt($"Field id {fieldId} exceeds the i16 range.", Position - 1);

    private byte ReadByte()
    {
        if (Position >= _data.Length)
            throw Truncated(1);
        return _data[Position++];
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        if (length > Remaining)
            throw Truncated(length);
        var slice = _data.Slice(Position, length);
        Position += length;
        return slice;
    }

    /// <summary>ULEB128 (compact spec "Varint encoding"); at most 10 bytes, and the 10th may only hold bit 63.</summary>
    private ulong ReadVarint()
    {
        var start = Position;
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            if (shift == 63 && b > 1)
                throw Corrupt("Varint is longer than 10 bytes or overflows 64 bits.", start);
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return result;
        }
        throw Corrupt("Varint is longer than 10 bytes.", start);
    }

    /// <summary>Reads an unsigned varint count and checks that that many items of minimumItemSize bytes fit.</summary>
    private int ReadCount(int minimumItemSize, string what, int headerStart)
    {
        var raw = ReadVarint();
        if (raw > int.MaxValue)
            throw Corrupt($"The {what} length {raw} is out of range.", headerStart);
        return EnsureCount((int)raw, minimumItemSize, headerStart);
    }

    private readonly int EnsureCount(int count, int minimumItemSize, int headerStart)
    {
        if ((long)count * minimumItemSize > Remaining)
            throw new ParquetException(ParquetErrorCodes.Truncated,
                $"A Thrift header at {headerStart} declares {count} items but only {Remaining} bytes remain.") { Offset = headerStart };
        return count;
    }

    private readonly ParquetException Truncated(int needed) =>
        new(ParquetErrorCodes.Truncated, $"Thrift metadata ends early: {needed} more byte(s) needed, {Remaining} remain.") { Offset = Position };

    [InlineArray(MaxDepth)]
    private struct FieldIdStack
    {
        private short _first;
    }
}
