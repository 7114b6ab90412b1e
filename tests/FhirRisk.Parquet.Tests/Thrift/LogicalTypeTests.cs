using FhirRisk.Parquet.Internal.Format;
using FhirRisk.Parquet.Internal.Thrift;
using static FhirRisk.Parquet.Tests.Thrift.ThriftTestCodec;

namespace FhirRisk.Parquet.Tests.Thrift;

public sealed class LogicalTypeTests
{
    // Enum values are passed as ints: the enums are internal and xUnit theories are public.
    public static TheoryData<int> SimpleKinds() =>
    [
        .. new[]
        {
            LogicalTypeKind.String, LogicalTypeKind.Map, LogicalTypeKind.List, LogicalTypeKind.Enum, LogicalTypeKind.Date,
            LogicalTypeKind.Unknown, LogicalTypeKind.Json, LogicalTypeKind.Bson, LogicalTypeKind.Uuid, LogicalTypeKind.Float16,
        }.Select(k => (int)k),
    ];

    [Theory]
    [MemberData(nameof(SimpleKinds))]
    public void SimpleKind_RoundTrip_EncodesEmptyStructAtItsFieldId(int kindValue)
    {
        var kind = (LogicalTypeKind)kindValue;
        var bytes = Encode(LogicalType.Of(kind).Write);
        // Member ids 1..15 fit the one-byte short-form field header.
        Assert.Equal([(byte)(((int)kind << 4) | (int)ThriftType.Struct), 0x00, 0x00], bytes);
        Assert.Equal(kind, Decode(bytes, LogicalType.Read).Kind);
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public void TimestampAndTime_RoundTrip_KeepUnitAndUtcFlag(bool utc, int unitValue)
    {
        var unit = (TimeUnitKind)unitValue;
        AssertRoundTrip(LogicalType.Timestamp(utc, unit), (t, w) => t.Write(w), LogicalType.Read);
        AssertRoundTrip(LogicalType.Time(utc, unit), (t, w) => t.Write(w), LogicalType.Read);
    }

    [Fact]
    public void Timestamp_KnownEncoding_MatchesHandAssembledBytes()
    {
        // TIMESTAMP (field 8, struct) { isAdjustedToUTC (1) = false, unit (2, struct) { MICROS (2, struct) {} } }
        byte[] expected = [0x8C, 0x12, 0x1C, 0x2C, 0x00, 0x00, 0x00, 0x00];
        Assert.Equal(expected, Encode(LogicalType.Timestamp(false, TimeUnitKind.Micros).Write));
        var parsed = Decode(expected, LogicalType.Read);
        Assert.Equal(LogicalTypeKind.Timestamp, parsed.Kind);
        Assert.Equal(TimeUnitKind.Micros, parsed.Unit);
        Assert.False(parsed.IsAdjustedToUtc);
    }

    [Fact]
    public void IntegerAndDecimal_RoundTrip_KeepParameters()
    {
        var integer = AssertRoundTrip(LogicalType.Integer(16, false), (t, w) => t.Write(w), LogicalType.Read);
        Assert.Equal(16, integer.BitWidth);
        Assert.False(integer.IsSigned);
        var signed = AssertRoundTrip(LogicalType.Integer(64, true), (t, w) => t.Write(w), LogicalType.Read);
        Assert.True(signed.IsSigned);
        var decimalType = AssertRoundTrip(LogicalType.Decimal(4, 18), (t, w) => t.Write(w), LogicalType.Read);
        Assert.Equal((4, 18), (decimalType.Scale, decimalType.Precision));
    }

    [Fact]
    public void UnknownMember_ReadsAsOther_AndWritesBackUnchanged()
    {
        // A future member 16 (VARIANT-like) holding a struct { 1: i8 = 1 }.
        var bytes = Encode(w =>
        {
            w.BeginStruct();
            w.WriteFieldHeader(16, ThriftType.Struct);
            w.BeginStruct();
            w.WriteI8Field(1, 1);
            w.EndStruct();
            w.EndStruct();
        });
        var parsed = Decode(bytes, LogicalType.Read);
        Assert.Equal(LogicalTypeKind.Other, parsed.Kind);
        Assert.Equal(16, parsed.OtherFieldId);
        Assert.Equal(bytes, Encode(parsed.Write));
    }

    [Fact]
    public void EmptyUnion_ReadsAsOther_AndWritesEmptyStruct()
    {
        var parsed = Decode([0x00], LogicalType.Read);
        Assert.Equal(LogicalTypeKind.Other, parsed.Kind);
        Assert.Null(parsed.OtherValue);
        Assert.Equal([0x00], Encode(parsed.Write));
    }

    [Fact]
    public void UnknownTimeUnit_IsKeptOutsideTheNamedRange()
    {
        // TIMESTAMP { isAdjustedToUTC = true, unit = { member 9 {} } }
        byte[] bytes = [0x8C, 0x11, 0x1C, 0x9C, 0x00, 0x00, 0x00, 0x00];
        var parsed = Decode(bytes, LogicalType.Read);
        Assert.Equal(8, (int)parsed.Unit);
        Assert.False(Enum.IsDefined(parsed.Unit));
        Assert.Equal(bytes, Encode(parsed.Write));
    }

    [Fact]
    public void ParameterStructs_MissingRequiredFields_AreCorrupt()
    {
        // TIMESTAMP {} without isAdjustedToUTC and unit; DECIMAL { scale } without precision; INTEGER { bitWidth } only.
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([0x8C, 0x00, 0x00], LogicalType.Read).Code);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([0x5C, 0x15, 0x02, 0x00, 0x00], LogicalType.Read).Code);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([0xAC, 0x13, 0x08, 0x00, 0x00], LogicalType.Read).Code);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([0x8C, 0x11, 0x1C, 0x00, 0x00, 0x00], LogicalType.Read).Code);
    }
}
