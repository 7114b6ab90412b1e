namespace FhirRisk.Parquet.Internal.Thrift;

internal ref partial struct ThriftCompactReader
{
    /// <summary>
    /// Skips one value of <paramref name="type"/> — an unknown field or union member, for forward compatibility with
    /// newer parquet.thrift revisions. Containers and structs count toward the nesting limit.
    /// </summary>
    public void Skip(ThriftType type)
    {
        switch (type)
        {
            case ThriftType.BooleanTrue or ThriftType.BooleanFalse:
                ReadBool();
                break;
            case ThriftType.Byte:
                ReadByte();
                break;
            case ThriftType.I16 or ThriftType.I32 or ThriftType.I64:
                ReadVarint();
                break;
            case ThriftType.Double:
                Take(8);
                break;
            case ThriftType.Binary:
                ReadBinarySpan();
                break;
            case ThriftType.List or ThriftType.Set:
                SkipList();
                break;
            case ThriftType.Map:
                SkipMap();
                break;
            case ThriftType.Struct:
                SkipStruct();
                break;
            default:
                throw Corrupt($"Cannot skip a value of unknown Thrift type {(int)type}.");
        }
    }

    /// <summary>Skips one value and returns its exact encoded bytes (for union members we keep but do not model).</summary>
    public byte[] ReadRawValue(ThriftType type)
    {
        var start = Position;
        Skip(type);
        return _data[start..Position].ToArray();
    }

    private void SkipList()
    {
        var count = ReadListHeader(out var elementType);
        EnterNesting();
        for (var i = 0; i < count; i++)
            Skip(elementType);
        _depth--;
    }

    private void SkipMap()
    {
        var count = ReadMapHeader(out var keyType, out var valueType);
        EnterNesting();
        for (var i = 0; i < count; i++)
        {
            Skip(keyType);
            Skip(valueType);
        }
        _depth--;
    }

    private void SkipStruct()
    {
        BeginStruct();
        while (ReadFieldHeader(out _, out var fieldType))
            Skip(fieldType);
        EndStruct();
    }
}
