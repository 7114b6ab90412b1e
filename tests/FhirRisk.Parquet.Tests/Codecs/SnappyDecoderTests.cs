using FhirRisk.Parquet.Internal.Codecs;

namespace FhirRisk.Parquet.Tests.Codecs;

public sealed class SnappyDecoderTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(61)]
    [InlineData(4096)]
    [InlineData(100_000)]
    [InlineData(1 << 20)]
    public void Decompress_IronSnappyBlocks_MatchesReference(int size)
    {
        foreach (var input in new[] { CodecTestData.MedsLikeText(size, size), CodecTestData.Noise(size, size), Runs(size) })
        {
            var block = IronSnappy.Snappy.Encode(input);
            var fast = new byte[size];
            var reference = new byte[size];
            SnappyDecoder.Decompress(block, fast);
            SnappyCodec.DecompressReference(block, reference);
            Assert.Equal(reference, fast);
            Assert.Equal(input, fast);
        }
    }

    [Fact]
    public void Decompress_CorruptedBlocks_AgreeWithReferenceOnSuccess()
    {
        var input = CodecTestData.MedsLikeText(10_000, 9);
        var block = IronSnappy.Snappy.Encode(input);
        var random = new Random(9);
        for (var trial = 0; trial < 500; trial++)
        {
            var damaged = (byte[])block.Clone();
            damaged[random.Next(1, damaged.Length)] ^= (byte)random.Next(1, 256);
            var fast = new byte[input.Length];
            var fastError = Record.Exception(() => SnappyDecoder.Decompress(damaged, fast));
            Assert.True(fastError is null or ParquetException { Code: ParquetErrorCodes.CorruptPage }, fastError?.ToString());
            var reference = new byte[input.Length];
            if (fastError is null && Record.Exception(() => SnappyCodec.DecompressReference(damaged, reference)) is null)
                Assert.Equal(reference, fast);
        }
    }

    [Fact]
    public void Decompress_DeclaredLengthDiffers_ThrowsCorruptPage()
    {
        var block = IronSnappy.Snappy.Encode(new byte[100]);
        var error = Assert.Throws<ParquetException>(() => SnappyDecoder.Decompress(block, new byte[99]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void Decompress_HugeDeclaredLength_ThrowsBeforeAllocating()
    {
        byte[] block = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00];
        var error = Assert.Throws<ParquetException>(() => SnappyCodec.DecompressReference(block, new byte[10]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    private static byte[] Runs(int size)
    {
        var data = new byte[size];
        for (var i = 0; i < size; i++)
            data[i] = (byte)(i / 37 % 3);
        return data;
    }
}
