using System.Buffers;
using FhirRisk.Parquet.Internal.Encodings;

namespace FhirRisk.Parquet.Tests.Encodings;

public sealed class DeltaBinaryPackedTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(33)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(1000)]
    public void Encode_RandomInt64_RoundTrips(int count)
    {
        var random = new Random(count);
        var values = Enumerable.Range(0, count).Select(_ => random.NextInt64(-1_000_000, 1_000_000)).ToArray();
        AssertRoundTrip(values);
    }

    [Fact]
    public void Encode_Int64Extremes_WrapsAndRoundTrips()
    {
        // Deltas between the extremes overflow 64 bits; the format relies on two's-complement wrap-around.
        long[] values = [long.MinValue, long.MaxValue, long.MinValue, 0, -1, long.MaxValue, long.MaxValue, long.MinValue + 1];
        AssertRoundTrip(values);
    }

    [Fact]
    public void Encode_SortedTimestamps_PackNarrowly()
    {
        var values = Enumerable.Range(0, 1000).Select(i => 1_700_000_000_000_000L + i * 60_000_000L).ToArray();
        var output = AssertRoundTrip(values);
        Assert.True(output.WrittenCount < 200, $"Constant deltas should need only headers, got {output.WrittenCount} bytes.");
    }

    [Fact]
    public void Encode_SpecExampleTwo_GivesSpecLayout()
    {
        // Encodings.md example 2 (7, 5, 3, 1, 2, 3, 4, 5) with a conforming 128/4 header: min delta -2, first miniblock width 2.
        var output = new ArrayBufferWriter<byte>();
        DeltaBinaryPacked.Encode(new long[] { 7, 5, 3, 1, 2, 3, 4, 5 }, output);
        byte[] expected = [0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 0x02, 0x00, 0x00, 0x00, 0xC0, 0x3F, 0, 0, 0, 0, 0, 0];
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Decode_SpecExampleOne_GivesOneToFive()
    {
        // Encodings.md example 1 (1..5): every delta is 1, so the block is just the min delta and zero widths.
        byte[] data = [0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0, 0, 0, 0];
        var values = new long[5];
        Assert.Equal(data.Length, DeltaBinaryPacked.Decode(data, values));
        Assert.Equal([1, 2, 3, 4, 5], values);
        Assert.Equal(5, DeltaBinaryPacked.ReadTotalCount(data));
    }

    [Fact]
    public void Decode_Int32WithWrapAround_RoundTrips()
    {
        int[] values = [int.MaxValue, int.MinValue, 0, int.MinValue, int.MaxValue, -5, 17, 17, 16];
        var output = new ArrayBufferWriter<byte>();
        DeltaBinaryPacked.Encode(values, output);
        var decoded = new int[values.Length];
        Assert.Equal(output.WrittenCount, DeltaBinaryPacked.Decode(output.WrittenSpan, decoded));
        Assert.Equal(values, decoded);
    }

    [Fact]
    public void Decode_Int32Random_MatchesInt64Decode()
    {
        var random = new Random(5);
        var values = Enumerable.Range(0, 777).Select(_ => random.Next()).ToArray();
        var output = new ArrayBufferWriter<byte>();
        DeltaBinaryPacked.Encode(values.Select(v => (long)v).ToArray(), output);
        var narrow = new int[values.Length];
        DeltaBinaryPacked.Decode(output.WrittenSpan, narrow);
        Assert.Equal(values, narrow);
    }

    [Fact]
    public void Decode_DestinationShorterThanTotal_ReadsPrefixAndConsumesAll()
    {
        var values = Enumerable.Range(0, 300).Select(i => (long)i * i).ToArray();
        var output = new ArrayBufferWriter<byte>();
        DeltaBinaryPacked.Encode(values, output);
        var prefix = new long[150];
        Assert.Equal(output.WrittenCount, DeltaBinaryPacked.Decode(output.WrittenSpan, prefix));
        Assert.Equal(values[..150], prefix);
    }

    [Fact]
    public void Decode_DestinationLongerThanTotal_ReadsTotalAndClearsRest()
    {
        var output = new ArrayBufferWriter<byte>();
        DeltaBinaryPacked.Encode(new long[] { 9, 8, 7 }, output);
        var values = new long[] { -1, -1, -1, -1, -1 };
        DeltaBinaryPacked.Decode(output.WrittenSpan, values);
        Assert.Equal([9, 8, 7, 0, 0], values);
    }

    [Fact]
    public void Decode_BitWidthAbove64_ThrowsCorruptPage()
    {
        byte[] data = [0x80, 0x01, 0x04, 0x03, 0x00, 0x00, 0x41, 0, 0, 0];
        var error = Assert.Throws<ParquetException>(() => DeltaBinaryPacked.Decode(data, new long[3]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void Decode_BadBlockSize_ThrowsCorruptPage()
    {
        byte[] data = [0x08, 0x01, 0x05, 0x02, 0x02, 0x00];
        var error = Assert.Throws<ParquetException>(() => DeltaBinaryPacked.Decode(data, new long[5]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void Decode_Truncated_ThrowsParquetExceptionOrDecodesExactly()
    {
        var values = Enumerable.Range(0, 500).Select(i => (long)i * 7919 % 1000).ToArray();
        var output = new ArrayBufferWriter<byte>();
        DeltaBinaryPacked.Encode(values, output);
        var encoded = output.WrittenSpan.ToArray();
        for (var length = 0; length < encoded.Length; length++)
        {
            // Cutting only the zero padding of the last miniblock still decodes (readers accept it); nothing else may.
            var decoded = new long[500];
            var error = Record.Exception(() => DeltaBinaryPacked.Decode(encoded.AsSpan(0, length), decoded));
            if (error is null)
                Assert.Equal(values, decoded);
            else
                Assert.IsType<ParquetException>(error);
        }
    }

    [Fact]
    public void Decode_RandomGarbage_ThrowsOnlyParquetException()
    {
        var random = new Random(11);
        for (var trial = 0; trial < 3000; trial++)
        {
            var data = new byte[random.Next(0, 64)];
            random.NextBytes(data);
            if (data.Length > 2 && random.Next(2) == 0)
            {
                data[0] = 0x80;
                data[1] = 0x01;
                data[2] = 0x04;
            }
            var exception = Record.Exception(() => DeltaBinaryPacked.Decode(data, new long[random.Next(0, 300)]));
            Assert.True(exception is null or ParquetException, exception?.ToString());
        }
    }

    private static ArrayBufferWriter<byte> AssertRoundTrip(long[] values)
    {
        var output = new ArrayBufferWriter<byte>();
        DeltaBinaryPacked.Encode(values, output);
        Assert.Equal(values.Length, DeltaBinaryPacked.ReadTotalCount(output.WrittenSpan));
        var decoded = new long[values.Length];
        Assert.Equal(output.WrittenCount, DeltaBinaryPacked.Decode(output.WrittenSpan, decoded));
        Assert.Equal(values, decoded);
        return output;
    }
}
