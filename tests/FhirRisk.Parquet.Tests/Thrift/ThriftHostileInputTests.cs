using FhirRisk.Parquet.Internal.Format;
using FhirRisk.Parquet.Internal.Thrift;
using static FhirRisk.Parquet.Tests.Thrift.ThriftTestCodec;

namespace FhirRisk.Parquet.Tests.Thrift;

/// <summary>Untrusted footers and page headers: every failure is a ParquetException, nothing allocates by a declared size.</summary>
public sealed class ThriftHostileInputTests
{
    private static readonly ThriftElementReader<List<string>> StringList =
        static (ref r) => r.ReadList(ThriftType.Binary, static (ref e) => e.ReadString());

    [Theory]
    [InlineData("F8FFFFFFFF07", ParquetErrorCodes.Truncated)]        // 2^31 - 1 binaries
    [InlineData("F88080808008", ParquetErrorCodes.CorruptMetadata)]  // 2^31: beyond int
    [InlineData("F8FFFFFFFF0F", ParquetErrorCodes.CorruptMetadata)]  // 2^32 - 1
    [InlineData("F703", ParquetErrorCodes.Truncated)]                // 3 doubles need 24 bytes, 2 remain
    public void ListHeader_HugeCount_ThrowsBeforeAllocating(string hex, string code)
    {
        var bytes = Convert.FromHexString(hex + "0000");
        var error = ParseFails(bytes, static (ref r) => r.ReadListHeader(out _));
        Assert.Equal(code, error.Code);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void ListOfStrings_CountExceedsRemainingBytes_IsTruncated()
    {
        // 200 strings declared, 3 bytes follow.
        var error = ParseFails([0xF8, 0xC8, 0x01, 0x01, 0x41, 0x00], StringList);
        Assert.Equal(ParquetErrorCodes.Truncated, error.Code);
    }

    [Theory]
    [InlineData("FFFFFFFF07", ParquetErrorCodes.Truncated)]       // 2^31 - 1 bytes
    [InlineData("8080808008", ParquetErrorCodes.CorruptMetadata)] // 2^31 bytes
    [InlineData("05414243", ParquetErrorCodes.Truncated)]         // 5 bytes, 3 present
    public void Binary_HugeLength_ThrowsBeforeAllocating(string hex, string code)
    {
        var error = ParseFails(Convert.FromHexString(hex), static (ref r) => r.ReadBinary());
        Assert.Equal(code, error.Code);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void Map_HugeCount_IsTruncated()
    {
        var error = ParseFails(Convert.FromHexString("FFFFFFFF07850000"), static (ref r) => r.ReadMapHeader(out _, out _));
        Assert.Equal(ParquetErrorCodes.Truncated, error.Code);
    }

    [Theory]
    [InlineData("8080808080808080808001")]   // 11 bytes
    [InlineData("80808080808080808002")]     // 10th byte sets bits beyond 64
    [InlineData("FFFFFFFFFFFFFFFFFFFF")]     // 10th byte has the continuation bit
    public void Varint_OverlongOrOverflowing_IsCorrupt(string hex)
    {
        var error = ParseFails(Convert.FromHexString(hex), static (ref r) => r.ReadI64());
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, error.Code);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void Varint_TenBytesWithTopBit_IsAccepted()
    {
        Assert.Equal(long.MinValue, Decode(Convert.FromHexString("FFFFFFFFFFFFFFFFFF01"), static (ref r) => r.ReadI64()));
    }

    [Theory]
    [InlineData("8080808010")] // 2^32 zigzagged: does not fit 32 bits
    [InlineData("FFFFFFFFFF01")]
    public void I32_ValueBeyond32Bits_IsCorrupt(string hex)
    {
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails(Convert.FromHexString(hex), static (ref r) => r.ReadI32()).Code);
    }

    [Fact]
    public void I16_ValueBeyond16Bits_IsCorrupt()
    {
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails(Convert.FromHexString("808004"), static (ref r) => r.ReadI16()).Code);
    }

    [Theory]
    [InlineData(0x1D)] // type 13
    [InlineData(0x1E)]
    [InlineData(0x1F)]
    [InlineData(0x10)] // delta with type STOP
    public void FieldHeader_UnknownType_IsCorrupt(byte header)
    {
        var error = ParseFails([header, 0x00, 0x00], KeyValue.Read);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, error.Code);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void FieldHeader_IdOverflowingI16_IsCorrupt()
    {
        // Long-form id 32767, then a delta of 1 would give 32768.
        var error = ParseFails([0x05, 0xFE, 0xFF, 0x03, 0x00, 0x15, 0x00, 0x00], KeyValue.Read);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, error.Code);
        Assert.Equal(5, error.Offset);
    }

    [Theory]
    [InlineData(ThriftCompactReader.MaxDepth - 1, true)]
    [InlineData(ThriftCompactReader.MaxDepth, false)]
    [InlineData(100_000, false)]
    public void NestedStructs_BeyondMaxDepth_AreCorrupt(int unknownLevels, bool accepted)
    {
        // A KeyValue (depth 1): key "k", then unknown field 3 holding `unknownLevels` structs nested in each other.
        var bytes = new List<byte> { 0x18, 0x01, (byte)'k', 0x2C };
        bytes.AddRange(Enumerable.Repeat((byte)0x1C, unknownLevels - 1));
        bytes.AddRange(Enumerable.Repeat((byte)0x00, unknownLevels + 1));
        if (accepted)
        {
            Assert.Equal("k", Decode([.. bytes], KeyValue.Read).Key);
        }
        else
        {
            Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([.. bytes], KeyValue.Read).Code);
        }
    }

    [Fact]
    public void NestedLists_BeyondMaxDepth_AreCorrupt()
    {
        // Field 3 of a KeyValue: list<list<list<...>>> 100 000 deep, each a one-element list of lists.
        var bytes = new List<byte> { 0x18, 0x01, (byte)'k', 0x29 };
        bytes.AddRange(Enumerable.Repeat((byte)0x19, 100_000));
        bytes.AddRange(Enumerable.Repeat((byte)0x00, 10));
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([.. bytes], KeyValue.Read).Code);
    }

    [Fact]
    public void FileMetaData_EveryTruncation_ThrowsParquetException()
    {
        var bytes = FormatSamples.WideFileMetaData().Serialize();
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = ParseFails(bytes[..length], FileMetaData.Read);
            Assert.True(error.Code is ParquetErrorCodes.Truncated or ParquetErrorCodes.CorruptMetadata, $"prefix {length}: {error.Code}");
            Assert.InRange(error.Offset!.Value, 0, length);
        }
    }

    [Fact]
    public void PageHeader_EveryTruncation_ThrowsParquetException()
    {
        var bytes = Encode(FormatSamples.FullPageHeader().Write);
        for (var length = 0; length < bytes.Length; length++)
            Assert.NotNull(ParseFails(bytes[..length], PageHeader.Read));
    }

    [Fact]
    public void FileMetaData_EverySingleByteCorruption_ParsesOrThrowsParquetException()
    {
        var original = FormatSamples.FullFileMetaData().Serialize();
        byte[] replacements = [0x00, 0x0F, 0x7F, 0x80, 0xFF, 0xF9, 0x1C];
        for (var position = 0; position < original.Length; position++)
        {
            foreach (var replacement in replacements)
            {
                var corrupted = (byte[])original.Clone();
                corrupted[position] = replacement;
                try
                {
                    FileMetaData.Parse(corrupted);
                }
                catch (ParquetException e)
                {
                    Assert.InRange(e.Offset!.Value, 0, corrupted.Length);
                }
            }
        }
    }

    [Fact]
    public void FileMetaData_MissingRequiredFields_AreCorrupt()
    {
        // Only version (field 1) present.
        var error = ParseFails([0x15, 0x02, 0x00], FileMetaData.Read);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, error.Code);
        Assert.Contains("schema", error.Detail, StringComparison.Ordinal);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([0x00], PageHeader.Read).Code);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([0x00], SchemaElement.Read).Code);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([0x00], ColumnChunk.Read).Code);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([0x00], ColumnMetaData.Read).Code);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([0x00], RowGroup.Read).Code);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([0x00], DataPageHeader.Read).Code);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([0x00], DataPageHeaderV2.Read).Code);
        Assert.Equal(ParquetErrorCodes.CorruptMetadata, ParseFails([0x00], DictionaryPageHeader.Read).Code);
    }

    [Fact]
    public void EmptyInput_IsTruncatedAtOffsetZero()
    {
        var error = Assert.Throws<ParquetException>(() => FileMetaData.Parse([]));
        Assert.Equal(ParquetErrorCodes.Truncated, error.Code);
        Assert.Equal(0, error.Offset);
    }
}
