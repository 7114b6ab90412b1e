using System.Buffers;
using FhirRisk.Parquet.Internal.Encodings;

namespace FhirRisk.Parquet.Tests.Encodings;

public sealed class ByteStreamSplitTests
{
    [Fact]
    public void Encode_SpecExample_InterleavesStreams()
    {
        // Encodings.md "Byte Stream Split": three 4-byte elements.
        byte[] elements = [0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6];
        var output = new ArrayBufferWriter<byte>();
        ByteStreamSplit.Encode(elements, 4, output);
        Assert.Equal(new byte[] { 0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4, 0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6 }, output.WrittenSpan.ToArray());
        var decoded = new byte[12];
        ByteStreamSplit.Decode(output.WrittenSpan, 4, 3, decoded);
        Assert.Equal(elements, decoded);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 5)]
    [InlineData(3, 17)]
    [InlineData(4, 1)]
    [InlineData(4, 1000)]
    [InlineData(8, 999)]
    [InlineData(12, 33)]
    [InlineData(16, 64)]
    public void Decode_AnyWidth_MatchesReferenceAndRoundTrips(int elementSize, int count)
    {
        var random = new Random(elementSize * 1000 + count);
        var values = new byte[elementSize * count];
        random.NextBytes(values);
        var output = new ArrayBufferWriter<byte>();
        ByteStreamSplit.Encode(values, elementSize, output);
        var fast = new byte[values.Length];
        var reference = new byte[values.Length];
        ByteStreamSplit.Decode(output.WrittenSpan, elementSize, count, fast);
        ByteStreamSplit.DecodeReference(output.WrittenSpan, elementSize, count, reference);
        Assert.Equal(reference, fast);
        Assert.Equal(values, fast);
    }

    [Fact]
    public void Decode_Doubles_RoundTrip()
    {
        double[] values = [1.5, -0.0, double.NaN, 1e300, -7.25];
        var output = new ArrayBufferWriter<byte>();
        ByteStreamSplit.Encode(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), 8, output);
        var decoded = new double[values.Length];
        ByteStreamSplit.Decode(output.WrittenSpan, 8, values.Length, System.Runtime.InteropServices.MemoryMarshal.AsBytes(decoded.AsSpan()));
        Assert.Equal(values, decoded);
    }

    [Fact]
    public void Decode_TooFewBytes_ThrowsCorruptPage()
    {
        var error = Assert.Throws<ParquetException>(() => ByteStreamSplit.Decode(new byte[7], 4, 2, new byte[8]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }
}
