using FhirRisk.Parquet.Internal.Reading;

namespace FhirRisk.Parquet.Tests.Encodings;

/// <summary>
/// Byte-array DECIMAL values are big-endian two's complement of any width (LogicalTypes.md "DECIMAL"). DuckDB only
/// writes 16-byte FIXED_LEN_BYTE_ARRAY, so the short, odd and over-16-byte widths other writers use are pinned here.
/// </summary>
public sealed class DecimalUnscaledValueTests
{
    [Theory]
    [InlineData(new byte[] { 0x00 }, 0d)]
    [InlineData(new byte[] { 0xFF }, -1d)]
    [InlineData(new byte[] { 0x00, 0xFF }, 255d)]
    [InlineData(new byte[] { 0x80, 0x00 }, -32768d)]
    [InlineData(new byte[] { 0x01, 0x00, 0x00 }, 65536d)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE }, -2d)]
    [InlineData(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 9223372036854775807d)]
    public void BigEndianTwosComplement_KnownWidths(byte[] bytes, double expected) =>
        Assert.Equal(expected, DecimalLeafDecoder.BigEndianTwosComplement(bytes));

    [Fact]
    public void BigEndianTwosComplement_WiderThan16Bytes_SignExtends()
    {
        byte[] minusTwo = [.. Enumerable.Repeat((byte)0xFF, 19), 0xFE];
        byte[] twoTo128 = [0x00, 0x00, 0x01, .. new byte[16]];

        Assert.Equal(-2d, DecimalLeafDecoder.BigEndianTwosComplement(minusTwo));
        Assert.Equal(Math.Pow(2, 128), DecimalLeafDecoder.BigEndianTwosComplement(twoTo128));
    }

    [Fact]
    public void BigEndianTwosComplement_NoBytes_IsACorruptPage()
    {
        var error = Assert.Throws<ParquetException>(() => DecimalLeafDecoder.BigEndianTwosComplement([]));

        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }
}
