using FhirRisk.Parquet.Internal.Thrift;
using static FhirRisk.Parquet.Tests.Thrift.ThriftTestCodec;

namespace FhirRisk.Parquet.Tests.Thrift;

public sealed class ThriftCompactCodecTests
{
    [Theory]
    [InlineData(0, "00")]
    [InlineData(-1, "01")]
    [InlineData(1, "02")]
    [InlineData(-64, "7F")]
    [InlineData(64, "8001")]
    [InlineData(int.MaxValue, "FEFFFFFF0F")]
    [InlineData(int.MinValue, "FFFFFFFF0F")]
    public void I32_ZigzagVarint_MatchesKnownBytesAndRoundTrips(int value, string hex)
    {
        var bytes = Encode(w => w.WriteI32(value));
        Assert.Equal(hex, Convert.ToHexString(bytes));
        Assert.Equal(value, Decode(bytes, static (ref r) => r.ReadI32()));
    }

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(-1L, "01")]
    [InlineData((long)int.MaxValue + 1, "8080808010")]
    [InlineData(long.MaxValue, "FEFFFFFFFFFFFFFFFF01")]
    [InlineData(long.MinValue, "FFFFFFFFFFFFFFFFFF01")]
    public void I64_ZigzagVarint_MatchesKnownBytesAndRoundTrips(long value, string hex)
    {
        var bytes = Encode(w => w.WriteI64(value));
        Assert.Equal(hex, Convert.ToHexString(bytes));
        Assert.Equal(value, Decode(bytes, static (ref r) => r.ReadI64()));
    }

    [Theory]
    [InlineData(short.MinValue)]
    [InlineData((short)-1)]
    [InlineData((short)0)]
    [InlineData(short.MaxValue)]
    public void I16AndI8_EdgeValues_RoundTrip(short value)
    {
        Assert.Equal(value, Decode(Encode(w => w.WriteI16(value)), static (ref r) => r.ReadI16()));
        var small = (sbyte)value;
        var bytes = Encode(w => w.WriteI8(small));
        Assert.Single(bytes);
        Assert.Equal(small, Decode(bytes, static (ref r) => r.ReadI8()));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.5)]
    [InlineData(double.MaxValue)]
    [InlineData(double.NegativeInfinity)]
    public void Double_LittleEndian_RoundTrips(double value)
    {
        var bytes = Encode(w => w.WriteDouble(value));
        Assert.Equal(BitConverter.GetBytes(value), bytes);
        Assert.Equal(value, Decode(bytes, static (ref r) => r.ReadDouble()));
    }

    [Fact]
    public void BinaryAndString_LengthPrefixed_RoundTrip()
    {
        var bytes = Encode(w => w.WriteString("héllo"));
        Assert.Equal("06" + Convert.ToHexString("héllo"u8), Convert.ToHexString(bytes));
        Assert.Equal("héllo", Decode(bytes, static (ref r) => r.ReadString()));
        Assert.Equal([0x00], Encode(w => w.WriteBinary([])));
        Assert.Empty(Decode([0x00], static (ref r) => r.ReadBinary()));
    }

    [Fact]
    public void FieldHeader_HandAssembled_DecodesDeltaAndType()
    {
        // 0x15 = delta 1, i32; value 0x04 = zigzag 2. 0x05 0x28 = long form, i32, zigzag id 20. 0x26 = delta 2 from 20, i64.
        byte[] bytes = [0x15, 0x04, 0x05, 0x28, 0x01, 0x26, 0x02, 0x00];
        var reader = new ThriftCompactReader(bytes);
        reader.BeginStruct();
        Assert.True(reader.ReadFieldHeader(out var id, out var type));
        Assert.Equal((1, ThriftType.I32, 2), ((int)id, type, reader.ReadI32()));
        Assert.True(reader.ReadFieldHeader(out id, out type));
        Assert.Equal((20, ThriftType.I32, -1), ((int)id, type, reader.ReadI32()));
        Assert.True(reader.ReadFieldHeader(out id, out type));
        Assert.Equal((22, ThriftType.I64, 1L), ((int)id, type, reader.ReadI64()));
        Assert.False(reader.ReadFieldHeader(out _, out _));
        reader.EndStruct();
        Assert.Equal(bytes.Length, reader.Position);
    }

    [Fact]
    public void FieldHeader_Writer_UsesShortFormUpToDelta15AndLongFormBeyond()
    {
        var bytes = Encode(w =>
        {
            w.BeginStruct();
            w.WriteI32Field(15, 0);   // delta 15 → 0xF5
            w.WriteI32Field(31, 0);   // delta 16 → 0x05 + zigzag(31) = 62
            w.WriteI32Field(30, 0);   // backwards → long form, zigzag(30) = 60
            w.WriteI32Field(-2, 0);   // negative id → long form, zigzag(-2) = 3
            w.EndStruct();
        });
        Assert.Equal("F500053E00053C0005030000", Convert.ToHexString(bytes));
        var reader = new ThriftCompactReader(bytes);
        reader.BeginStruct();
        short[] expectedIds = [15, 31, 30, -2];
        foreach (var expected in expectedIds)
        {
            Assert.True(reader.ReadFieldHeader(out var id, out _));
            Assert.Equal(expected, id);
            reader.ReadI32();
        }
        Assert.False(reader.ReadFieldHeader(out _, out _));
    }

    [Fact]
    public void BoolFields_CarryValueInHeaderType()
    {
        var bytes = Encode(w =>
        {
            w.BeginStruct();
            w.WriteBoolField(1, true);
            w.WriteBoolField(2, false);
            w.WriteBoolField(40, true);
            w.EndStruct();
        });
        Assert.Equal("1112015000", Convert.ToHexString(bytes));
        var reader = new ThriftCompactReader(bytes);
        reader.BeginStruct();
        var values = new List<(int, bool)>();
        while (reader.ReadFieldHeader(out var id, out var type))
        {
            Assert.True(type.IsBool());
            values.Add((id, reader.ReadBool()));
        }
        Assert.Equal([(1, true), (2, false), (40, true)], values);
    }

    [Fact]
    public void NestedStructs_RestoreFieldIdBaseAfterEnd()
    {
        // Outer field 5 is a struct whose inner field 1 is delta-coded from 0; outer field 6 is then delta 1 from 5.
        var bytes = Encode(w =>
        {
            w.BeginStruct();
            w.WriteFieldHeader(5, ThriftType.Struct);
            w.BeginStruct();
            w.WriteI32Field(1, 7);
            w.EndStruct();
            w.WriteI32Field(6, 8);
            w.EndStruct();
        });
        Assert.Equal("5C150E00151000", Convert.ToHexString(bytes));
        var reader = new ThriftCompactReader(bytes);
        reader.BeginStruct();
        reader.ReadFieldHeader(out var outer, out _);
        reader.BeginStruct();
        reader.ReadFieldHeader(out var inner, out _);
        Assert.Equal(7, reader.ReadI32());
        Assert.False(reader.ReadFieldHeader(out _, out _));
        reader.EndStruct();
        reader.ReadFieldHeader(out var next, out _);
        Assert.Equal((5, 1, 6), ((int)outer, (int)inner, (int)next));
    }

    [Theory]
    [InlineData(0, "05")]
    [InlineData(14, "E5")]
    [InlineData(15, "F50F")]
    [InlineData(200, "F5C801")]
    public void ListHeader_ShortAndLongForm_RoundTrip(int count, string headerHex)
    {
        var bytes = Encode(w =>
        {
            w.WriteListHeader(ThriftType.I32, count);
            for (var i = 0; i < count; i++)
                w.WriteI32(i - 7);
        });
        Assert.StartsWith(headerHex, Convert.ToHexString(bytes), StringComparison.Ordinal);
        var values = Decode(bytes, static (ref r) => r.ReadList(ThriftType.I32, static (ref e) => e.ReadI32()));
        Assert.Equal(Enumerable.Range(-7, count), values);
    }

    [Fact]
    public void BoolList_ElementsAreBytes_AcceptingOneAsTrueAndZeroOrTwoAsFalse()
    {
        var bytes = Encode(w =>
        {
            w.WriteListHeader(ThriftType.BooleanTrue, 3);
            w.WriteBool(true);
            w.WriteBool(false);
            w.WriteBool(true);
        });
        Assert.Equal("31010201", Convert.ToHexString(bytes));
        Assert.Equal([true, false, true], Decode(bytes, static (ref r) => r.ReadList(ThriftType.BooleanTrue, static (ref e) => e.ReadBool())));
        // Element type 2 and the legacy false byte 0 are accepted too.
        Assert.Equal([false, true], Decode([0x22, 0x00, 0x01], static (ref r) => r.ReadList(ThriftType.BooleanTrue, static (ref e) => e.ReadBool())));
    }

    [Fact]
    public void MapHeader_EmptyAndNonEmpty_RoundTrip()
    {
        Assert.Equal([0x00], Encode(w => w.WriteMapHeader(ThriftType.Binary, ThriftType.I32, 0)));
        var bytes = Encode(w => w.WriteMapHeader(ThriftType.Binary, ThriftType.I32, 2));
        Assert.Equal([0x02, 0x85], bytes);
        var reader = new ThriftCompactReader([0x02, 0x85, 0x00, 0x02, 0x00, 0x04]);
        Assert.Equal(2, reader.ReadMapHeader(out var key, out var value));
        Assert.Equal((ThriftType.Binary, ThriftType.I32), (key, value));
    }

    [Fact]
    public void ReadList_WrongElementType_IsCorrupt()
    {
        var error = ParseFails([0x15, 0x02], static (ref r) => r.ReadList(ThriftType.Binary, static (ref e) => e.ReadString()));
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, error.Code);
        Assert.Equal(0, error.Offset);
    }
}
