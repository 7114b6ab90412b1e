using System.Buffers;
using FhirRisk.Parquet.Internal.Codecs;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Tests.Codecs;

public sealed class PageCodecTests
{
    // Test methods are public, so theories name the internal CompressionCodec values as strings.
    private static readonly string[] Writable = [nameof(CompressionCodec.Uncompressed), nameof(CompressionCodec.Snappy), nameof(CompressionCodec.Gzip), nameof(CompressionCodec.Zstd)];

    public static TheoryData<string, int> CodecsAndSizes()
    {
        var data = new TheoryData<string, int>();
        foreach (var codec in Writable)
        {
            foreach (var size in new[] { 0, 1, 17, 65_536, 1 << 20 })
                data.Add(codec, size);
        }
        return data;
    }

    public static TheoryData<string> WritableCodecs() => [.. Writable];

    [Theory]
    [MemberData(nameof(CodecsAndSizes))]
    public void Compress_TextAndNoise_RoundTrip(string codecName, int size)
    {
        var codec = Enum.Parse<CompressionCodec>(codecName);
        foreach (var input in new[] { CodecTestData.MedsLikeText(size, size), CodecTestData.Noise(size, size) })
        {
            var compressed = Compress(codec, input);
            var output = new byte[input.Length];
            PageCodec.Decompress(codec, compressed, output);
            Assert.Equal(input, output);
        }
    }

    [Theory]
    [InlineData("Snappy")]
    [InlineData("Gzip")]
    [InlineData("Zstd")]
    public void Compress_RepetitiveText_Shrinks(string codecName)
    {
        var codec = Enum.Parse<CompressionCodec>(codecName);
        var input = CodecTestData.MedsLikeText(1 << 20, 1);
        Assert.True(Compress(codec, input).Length < input.Length / 2);
    }

    [Fact]
    public void Compress_AppendsAfterExistingBytes()
    {
        var output = new ArrayBufferWriter<byte>();
        output.Write("head"u8);
        PageCodec.Compress(CompressionCodec.Zstd, "payload payload payload"u8, output, level: null);
        var decoded = new byte[23];
        PageCodec.Decompress(CompressionCodec.Zstd, output.WrittenSpan[4..], decoded);
        Assert.True(output.WrittenSpan[..4].SequenceEqual("head"u8));
        Assert.True(decoded.AsSpan().SequenceEqual("payload payload payload"u8));
    }

    [Theory]
    [InlineData("Gzip", 0)]
    [InlineData("Gzip", 9)]
    [InlineData("Zstd", 1)]
    [InlineData("Zstd", 19)]
    public void Compress_ExplicitLevel_RoundTrips(string codecName, int level)
    {
        var codec = Enum.Parse<CompressionCodec>(codecName);
        var input = CodecTestData.MedsLikeText(100_000, level);
        var output = new ArrayBufferWriter<byte>();
        PageCodec.Compress(codec, input, output, level);
        var decoded = new byte[input.Length];
        PageCodec.Decompress(codec, output.WrittenSpan, decoded);
        Assert.Equal(input, decoded);
    }

    [Theory]
    [MemberData(nameof(WritableCodecs))]
    public void Decompress_WrongDeclaredSize_ThrowsCorruptPage(string codecName)
    {
        var codec = Enum.Parse<CompressionCodec>(codecName);
        var input = CodecTestData.MedsLikeText(5000, 2);
        var compressed = Compress(codec, input);
        foreach (var size in new[] { input.Length - 1, input.Length + 1, 0 })
        {
            var error = Assert.Throws<ParquetException>(() => PageCodec.Decompress(codec, compressed, new byte[size]));
            Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
        }
    }

    [Theory]
    [InlineData("Snappy")]
    [InlineData("Gzip")]
    [InlineData("Zstd")]
    [InlineData("Lz4Raw")]
    public void Decompress_CorruptedStreams_ThrowOnlyParquetException(string codecName)
    {
        var codec = Enum.Parse<CompressionCodec>(codecName);
        var input = CodecTestData.MedsLikeText(20_000, 3);
        var compressed = codec == CompressionCodec.Lz4Raw ? CodecTestData.Noise(3000, 3) : Compress(codec, input);
        var random = new Random((int)codec);
        var output = new byte[input.Length];
        for (var trial = 0; trial < 300; trial++)
        {
            var damaged = (byte[])compressed.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
                damaged[random.Next(damaged.Length)] ^= (byte)random.Next(1, 256);
            var cut = random.Next(3) == 0 ? random.Next(damaged.Length) : damaged.Length;
            var exception = Record.Exception(() => PageCodec.Decompress(codec, damaged.AsSpan(0, cut), output));
            Assert.True(exception is null or ParquetException { Code: ParquetErrorCodes.CorruptPage }, exception?.ToString());
        }
    }

    [Theory]
    [InlineData("Lzo")]
    [InlineData("Brotli")]
    [InlineData("Lz4")]
    public void Decompress_UnimplementedCodec_ThrowsUnsupportedNamingIt(string codecName)
    {
        var codec = Enum.Parse<CompressionCodec>(codecName);
        var error = Assert.Throws<ParquetException>(() => PageCodec.Decompress(codec, [1, 2, 3], new byte[3]));
        Assert.Equal(ParquetErrorCodes.Unsupported, error.Code);
        Assert.Contains(CodecErrors.WireName(codec), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Lzo")]
    [InlineData("Lz4Raw")]
    public void Compress_UnimplementedCodec_ThrowsUnsupported(string codecName)
    {
        var codec = Enum.Parse<CompressionCodec>(codecName);
        var error = Assert.Throws<ParquetException>(() => PageCodec.Compress(codec, [1, 2, 3], new ArrayBufferWriter<byte>(), null));
        Assert.Equal(ParquetErrorCodes.Unsupported, error.Code);
    }

    [Theory]
    [InlineData("Uncompressed")]
    [InlineData("Snappy")]
    [InlineData("Gzip")]
    [InlineData("Zstd")]
    [InlineData("Lz4Raw")]
    public void Decompress_EmptyInputForEmptyPage_GivesNothing(string codecName)
    {
        var codec = Enum.Parse<CompressionCodec>(codecName);
        PageCodec.Decompress(codec, [], []);
        var error = Assert.Throws<ParquetException>(() => PageCodec.Decompress(codec, [], new byte[1]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void Decompress_UncompressedLengthMismatch_ThrowsCorruptPage()
    {
        var error = Assert.Throws<ParquetException>(() => PageCodec.Decompress(CompressionCodec.Uncompressed, [1, 2, 3], new byte[4]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    internal static byte[] Compress(CompressionCodec codec, byte[] input)
    {
        var output = new ArrayBufferWriter<byte>();
        PageCodec.Compress(codec, input, output, level: null);
        return output.WrittenSpan.ToArray();
    }
}
