using System.Buffers;
using System.Buffers.Binary;

namespace FhirRisk.Parquet.Internal.Thrift;

/// <summary>
/// Encoder for the Thrift compact protocol (apache/thrift doc/specs/thrift-compact-protocol.md). Callers write field
/// headers in increasing id order, as generated Thrift code does, so most headers take the one-byte delta form.
/// The <c>Write…Field</c> overloads taking nullable values write nothing for null (an absent optional field).
/// </summary>
internal sealed class ThriftCompactWriter(IBufferWriter<byte> output)
{
    private readonly Stack<short> _savedFieldIds = new();
    private short _lastFieldId;

    public void BeginStruct()
    {
        _savedFieldIds.Push(_lastFieldId);
        _lastFieldId = 0;
    }

    /// <summary>Writes the STOP byte and returns to the enclosing struct.</summary>
    public void EndStruct()
    {
        WriteByte(0);
        _lastFieldId = _savedFieldIds.Pop();
    }

    public void WriteFieldHeader(short fieldId, ThriftType type)
    {
        // Short form: the id delta (1..15) in the high nibble; otherwise a zero nibble and the id as a zigzag i16.
        var delta = fieldId - _lastFieldId;
        if (delta is > 0 and <= 15)
        {
            WriteByte((byte)((delta << 4) | (int)type));
        }
        else
        {
            WriteByte((byte)type);
            WriteI16(fieldId);
        }
        _lastFieldId = fieldId;
    }

    public void WriteBoolField(short fieldId, bool value) =>
        WriteFieldHeader(fieldId, value ? ThriftType.BooleanTrue : ThriftType.BooleanFalse);

    public void WriteBoolField(short fieldId, bool? value)
    {
        if (value is { } present) WriteBoolField(fieldId, present);
    }

    public void WriteI8Field(short fieldId, sbyte value)
    {
        WriteFieldHeader(fieldId, ThriftType.Byte);
        WriteI8(value);
    }

    public void WriteI16Field(short fieldId, short value)
    {
        WriteFieldHeader(fieldId, ThriftType.I16);
        WriteI16(value);
    }

    public void WriteI16Field(short fieldId, short? value)
    {
        if (value is { } present) WriteI16Field(fieldId, present);
    }

    public void WriteI32Field(short fieldId, int value)
    {
        WriteFieldHeader(fieldId, ThriftType.I32);
        WriteI32(value);
    }

    public void WriteI32Field(short fieldId, int? value)
    {
        if (value is { } present) WriteI32Field(fieldId, present);
    }

    public void WriteI64Field(short fieldId, long value)
    {
        WriteFieldHeader(fieldId, ThriftType.I64);
        WriteI64(value);
    }

    public void WriteI64Field(short fieldId, long? value)
    {
        if (value is { } present) WriteI64Field(fieldId, present);
    }

    public void WriteDoubleField(short fieldId, double value)
    {
        WriteFieldHeader(fieldId, ThriftType.Double);
        WriteDouble(value);
    }

    public void WriteBinaryField(short fieldId, byte[]? value)
    {
        if (value is null) return;
        WriteFieldHeader(fieldId, ThriftType.Binary);
        WriteBinary(value);
    }

    public void WriteStringField(short fieldId, string? value)
    {
        if (value is null) return;
        WriteFieldHeader(fieldId, ThriftType.Binary);
        WriteString(value);
    }

    /// <summary>Writes a list field; nothing when <paramref name="items"/> is null.</summary>
    public void WriteListField<T>(short fieldId, ThriftType elementType, IReadOnlyList<T>? items, Action<ThriftCompactWriter, T> writeElement)
    {
        if (items is null) return;
        WriteFieldHeader(fieldId, ThriftType.List);
        WriteListHeader(elementType, items.Count);
        foreach (var item in items)
            writeElement(this, item);
    }

    public void WriteListHeader(ThriftType elementType, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count < 15)
        {
            WriteByte((byte)((count << 4) | (int)elementType));
        }
        else
        {
            WriteByte((byte)(0xF0 | (int)elementType));
            WriteVarint((uint)count);
        }
    }

    public void WriteMapHeader(ThriftType keyType, ThriftType valueType, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        WriteVarint((uint)count);
        if (count > 0)
            WriteByte((byte)(((int)keyType << 4) | (int)valueType));
    }

    /// <summary>Writes a bool as a container element: one byte, 1 for true and 2 for false.</summary>
    public void WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)2);

    public void WriteI8(sbyte value) => WriteByte((byte)value);

    public void WriteI16(short value) => WriteI32(value);

    public void WriteI32(int value) => WriteVarint((uint)((value << 1) ^ (value >> 31)));

    public void WriteI64(long value) => WriteVarint((ulong)((value << 1) ^ (value >> 63)));

    public void WriteDouble(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        WriteVarint((uint)value.Length);
        WriteRaw(value);
    }

    public void WriteString(string value)
    {
        var length = System.Text.Encoding.UTF8.GetByteCount(value);
        WriteVarint((uint)length);
        var written = System.Text.Encoding.UTF8.GetBytes(value, output.GetSpan(length));
        output.Advance(written);
    }

    /// <summary>Copies already-encoded bytes (a value captured by <see cref="ThriftCompactReader.ReadRawValue"/>).</summary>
    public void WriteRaw(ReadOnlySpan<byte> encoded) => output.Write(encoded);

    private void WriteByte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    private void WriteVarint(ulong value)
    {
        var span = output.GetSpan(10);
        var length = 0;
        while (value >= 0x80)
        {
            span[length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[length++] = (byte)value;
        output.Advance(length);
    }
}
