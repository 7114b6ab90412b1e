using System.Buffers;
using FhirRisk.Parquet.Internal.Encodings;

namespace FhirRisk.Parquet.Tests.Encodings;

public sealed class RleBitPackedHybridTests
{
    public static TheoryData<int> Widths() => [.. Enumerable.Range(0, 33)];

    [Theory]
    [MemberData(nameof(Widths))]
    public void Encode_RandomValuesEveryWidth_RoundTrips(int bitWidth)
    {
        var random = new Random(10 + bitWidth);
        var values = Enumerable.Range(0, 1001).Select(_ => RandomValue(random, bitWidth)).ToArray();
        AssertRoundTrip(values, bitWidth);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Encode_RunsMixedWithLiteralsEveryWidth_RoundTrips(int bitWidth)
    {
        var random = new Random(100 + bitWidth);
        var values = new List<int>();
        while (values.Count < 5000)
        {
            var value = RandomValue(random, bitWidth);
            var length = random.Next(4) == 0 ? random.Next(8, 300) : random.Next(1, 8);
            values.AddRange(Enumerable.Repeat(value, length));
        }
        AssertRoundTrip([.. values], bitWidth);
    }

    [Fact]
    public void Encode_LongRun_WritesOneRleRun()
    {
        var output = new ArrayBufferWriter<byte>();
        RleBitPackedHybrid.Encode(Enumerable.Repeat(5, 1000).ToArray(), 3, output);
        // Header 1000 << 1 = 2000 as ULEB128 (0xD0 0x0F), then the value in one byte.
        Assert.Equal(new byte[] { 0xD0, 0x0F, 0x05 }, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Decode_SpecBitPackedExample_GivesZeroToSeven()
    {
        // One bit-packed group (header 1 << 1 | 1) holding the spec's width-3 example bytes.
        var values = new int[8];
        var consumed = RleBitPackedHybrid.Decode([0x03, 0b10001000, 0b11000110, 0b11111010], 3, values);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], values);
        Assert.Equal(4, consumed);
    }

    [Fact]
    public void Decode_RleRunThenPaddedBitPackedRun_StopsAtCountAndConsumesWholeRun()
    {
        // RLE: 3 copies of 0x0102 (width 9 => 2 value bytes); bit-packed: 1 group at width 9 (9 bytes) of which 2 values are used.
        byte[] data = [0x06, 0x02, 0x01, 0x03, 0xFF, 0x01, 0, 0, 0, 0, 0, 0, 0];
        var values = new int[5];
        var consumed = RleBitPackedHybrid.Decode(data, 9, values);
        Assert.Equal([0x102, 0x102, 0x102, 0x1FF, 0], values);
        Assert.Equal(data.Length, consumed);
    }

    [Fact]
    public void Decode_BitWidthOneRun_FillsOnes()
    {
        var values = new int[10];
        RleBitPackedHybrid.Decode([0x14, 0x01], 1, values);
        Assert.All(values, v => Assert.Equal(1, v));
    }

    [Fact]
    public void Decode_DataEndsEarly_ThrowsCorruptPage()
    {
        var error = Assert.Throws<ParquetException>(() => RleBitPackedHybrid.Decode([0x10, 0x01], 1, new int[9]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void Decode_BitPackedRunBeyondData_ThrowsCorruptPage()
    {
        var error = Assert.Throws<ParquetException>(() => RleBitPackedHybrid.Decode([0x05, 0xFF, 0xFF], 8, new int[16]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void Decode_OversizedVarintHeader_ThrowsCorruptPage()
    {
        var error = Assert.Throws<ParquetException>(() => RleBitPackedHybrid.Decode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], 4, new int[3]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void Decode_BitWidthAbove32_ThrowsCorruptPage()
    {
        var error = Assert.Throws<ParquetException>(() => RleBitPackedHybrid.Decode([0x02, 0, 0, 0, 0, 0], 33, new int[1]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void Decode_RandomGarbage_ThrowsOnlyParquetException()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 2000; trial++)
        {
            var data = new byte[random.Next(0, 40)];
            random.NextBytes(data);
            var bitWidth = random.Next(0, 33);
            var values = new int[random.Next(0, 200)];
            var exception = Record.Exception(() => RleBitPackedHybrid.Decode(data, bitWidth, values));
            Assert.True(exception is null or ParquetException, exception?.ToString());
        }
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(7, 3)]
    [InlineData(8, 4)]
    [InlineData(255, 8)]
    [InlineData(int.MaxValue, 31)]
    public void BitWidth_MaxValue_GivesBitsNeeded(int maxValue, int expected) =>
        Assert.Equal(expected, RleBitPackedHybrid.BitWidth(maxValue));

    private static int RandomValue(Random random, int bitWidth) =>
        bitWidth == 0 ? 0 : (int)((ulong)random.NextInt64() & (uint.MaxValue >> (32 - bitWidth)));

    private static void AssertRoundTrip(int[] values, int bitWidth)
    {
        var output = new ArrayBufferWriter<byte>();
        RleBitPackedHybrid.Encode(values, bitWidth, output);
        var decoded = new int[values.Length];
        var consumed = RleBitPackedHybrid.Decode(output.WrittenSpan, bitWidth, decoded);
        Assert.Equal(values, decoded);
        Assert.Equal(output.WrittenCount, consumed);
    }
}
