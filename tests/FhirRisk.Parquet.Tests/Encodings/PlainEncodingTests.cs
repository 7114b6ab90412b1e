using System.Buffers;
using System.Text;
using FhirRisk.Parquet.Internal.Encodings;

namespace FhirRisk.Parquet.Tests.Encodings;

public sealed class PlainEncodingTests
{
    [Fact]
    public void Decode_Int32LittleEndianBytes_GivesValues()
    {
        var values = new int[2];
        PlainEncoding.Decode<int>([0x01, 0x00, 0x00, 0x00, 0xFE, 0xFF, 0xFF, 0xFF], values);
        Assert.Equal([1, -2], values);
    }

    [Fact]
    public void Encode_FixedWidthTypes_RoundTrip()
    {
        AssertRoundTrip(new long[] { long.MinValue, -1, 0, 1, long.MaxValue });
        AssertRoundTrip(new int[] { int.MinValue, 0, int.MaxValue });
        AssertRoundTrip(new float[] { float.NaN, -0f, 1.5f, float.PositiveInfinity });
        AssertRoundTrip(new double[] { double.Epsilon, -3.25, double.MaxValue });
    }

    [Fact]
    public void Decode_TooFewBytes_ThrowsCorruptPage()
    {
        var error = Assert.Throws<ParquetException>(() => PlainEncoding.Decode<long>(new byte[15], new long[2]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void DecodeBooleans_LsbFirstByte_GivesBitsInOrder()
    {
        var values = new bool[10];
        var consumed = PlainEncoding.DecodeBooleans([0b0000_0101, 0b0000_0010], values);
        Assert.Equal([true, false, true, false, false, false, false, false, false, true], values);
        Assert.Equal(2, consumed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(1000)]
    public void EncodeBooleans_RandomBits_RoundTrip(int count)
    {
        var random = new Random(count);
        var values = Enumerable.Range(0, count).Select(_ => random.Next(2) == 1).ToArray();
        var output = new ArrayBufferWriter<byte>();
        PlainEncoding.EncodeBooleans(values, output);
        Assert.Equal((count + 7) / 8, output.WrittenCount);
        var decoded = new bool[count];
        PlainEncoding.DecodeBooleans(output.WrittenSpan, decoded);
        Assert.Equal(values, decoded);
    }

    [Fact]
    public void EncodeBooleans_KnownPattern_GivesLsbFirstBytes()
    {
        var output = new ArrayBufferWriter<byte>();
        PlainEncoding.EncodeBooleans([true, true, false, false, false, false, false, false, false, true], output);
        Assert.Equal(new byte[] { 0b0000_0011, 0b0000_0010 }, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void DecodeBooleans_TooFewBytes_ThrowsCorruptPage()
    {
        var error = Assert.Throws<ParquetException>(() => PlainEncoding.DecodeBooleans([0xFF], new bool[9]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void EncodeByteArray_EmptyAndUnicodeStrings_RoundTrip()
    {
        string[] strings = ["", "LOINC//2160-0", "naïve café ☕", "", "日本語"];
        var output = new ArrayBufferWriter<byte>();
        foreach (var s in strings)
            PlainEncoding.EncodeByteArray(Encoding.UTF8.GetBytes(s), output);
        var buffer = new ByteArrayBuffer();
        var consumed = PlainEncoding.DecodeByteArrays(output.WrittenSpan, strings.Length, buffer);
        Assert.Equal(output.WrittenCount, consumed);
        Assert.Equal(strings, Enumerable.Range(0, buffer.Count).Select(i => Encoding.UTF8.GetString(buffer[i])));
    }

    [Fact]
    public void DecodeByteArrays_LengthBeyondData_ThrowsCorruptPage()
    {
        var error = Assert.Throws<ParquetException>(() => PlainEncoding.DecodeByteArrays([0x05, 0, 0, 0, (byte)'a', (byte)'b'], 1, new ByteArrayBuffer()));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void DecodeByteArrays_HugeDeclaredCount_ThrowsWithoutAllocating()
    {
        var error = Assert.Throws<ParquetException>(() => PlainEncoding.DecodeByteArrays([0, 0, 0, 0], int.MaxValue, new ByteArrayBuffer()));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    private static void AssertRoundTrip<T>(T[] values)
        where T : unmanaged
    {
        var output = new ArrayBufferWriter<byte>();
        PlainEncoding.Encode<T>(values, output);
        var decoded = new T[values.Length];
        PlainEncoding.Decode<T>(output.WrittenSpan, decoded);
        Assert.Equal(values, decoded);
    }
}
