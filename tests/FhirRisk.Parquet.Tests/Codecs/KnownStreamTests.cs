using FhirRisk.Parquet.Internal.Codecs;
using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Tests.Codecs;

/// <summary>Streams produced by the reference command-line tools (gzip -9 -n, zstd -19, lz4 -9 block), decoded by us.</summary>
public sealed class KnownStreamTests
{
    private static readonly byte[] Text = System.Text.Encoding.ASCII.GetBytes(
        "LOINC//2160-0 LOINC//2160-0 LOINC//2345-7 ICD10CM//E11.9 ICD10CM//E11.65 " + new string('a', 100) + " end\n");

    private static readonly byte[] GzipStream =
    [
        0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xF3, 0xF1, 0xF7, 0xF4, 0x73, 0xD6, 0xD7, 0x37, 0x32, 0x34,
        0x33, 0xD0, 0x35, 0x50, 0xF0, 0xC1, 0xCA, 0x33, 0x36, 0x31, 0xD5, 0x35, 0x57, 0xF0, 0x74, 0x76, 0x31, 0x34, 0x70, 0xF6,
        0xD5, 0xD7, 0x77, 0x35, 0x34, 0xD4, 0xB3, 0x44, 0xE5, 0x9A, 0x99, 0x2A, 0x24, 0xD2, 0x01, 0x28, 0xA4, 0xE6, 0xA5, 0x70,
        0x01, 0x00, 0xC9, 0xB0, 0x5D, 0xEA, 0xB2, 0x00, 0x00, 0x00,
    ];

    private static readonly byte[] ZstdFrame =
    [
        0x28, 0xB5, 0x2F, 0xFD, 0x24, 0xB2, 0xC5, 0x01, 0x00, 0xB4, 0x02, 0x4C, 0x4F, 0x49, 0x4E, 0x43, 0x2F, 0x2F, 0x32, 0x31,
        0x36, 0x30, 0x2D, 0x30, 0x20, 0x33, 0x34, 0x35, 0x2D, 0x37, 0x20, 0x49, 0x43, 0x44, 0x31, 0x30, 0x43, 0x4D, 0x2F, 0x2F,
        0x45, 0x31, 0x31, 0x2E, 0x39, 0x36, 0x35, 0x20, 0x61, 0x20, 0x65, 0x6E, 0x64, 0x0A, 0x03, 0x00, 0xE0, 0x4D, 0x09, 0x99,
        0x32, 0x13, 0xCA, 0x54, 0x02, 0x36, 0xAD, 0x3D, 0xE0,
    ];

    private static readonly byte[] Lz4Block =
    [
        0xEF, 0x4C, 0x4F, 0x49, 0x4E, 0x43, 0x2F, 0x2F, 0x32, 0x31, 0x36, 0x30, 0x2D, 0x30, 0x20, 0x0E, 0x00, 0x03, 0xFA, 0x05,
        0x33, 0x34, 0x35, 0x2D, 0x37, 0x20, 0x49, 0x43, 0x44, 0x31, 0x30, 0x43, 0x4D, 0x2F, 0x2F, 0x45, 0x31, 0x31, 0x2E, 0x39,
        0x0F, 0x00, 0x4F, 0x36, 0x35, 0x20, 0x61, 0x01, 0x00, 0x50, 0x50, 0x20, 0x65, 0x6E, 0x64, 0x0A,
    ];

    [Fact]
    public void Decompress_GzipToolOutput_GivesText() => AssertDecodes(CompressionCodec.Gzip, GzipStream);

    [Fact]
    public void Decompress_ZstdToolOutput_GivesText() => AssertDecodes(CompressionCodec.Zstd, ZstdFrame);

    [Fact]
    public void Decompress_Lz4ToolBlock_GivesText() => AssertDecodes(CompressionCodec.Lz4Raw, Lz4Block);

    [Fact]
    public void Decompress_ConcatenatedGzipMembers_GivesBothParts()
    {
        var output = new byte[Text.Length * 2];
        PageCodec.Decompress(CompressionCodec.Gzip, [.. GzipStream, .. GzipStream], output);
        Assert.Equal([.. Text, .. Text], output);
    }

    [Fact]
    public void Decompress_ConcatenatedZstdFrames_GivesBothParts()
    {
        var second = PageCodecTests.Compress(CompressionCodec.Zstd, "tail"u8.ToArray());
        var output = new byte[Text.Length + 4];
        PageCodec.Decompress(CompressionCodec.Zstd, [.. ZstdFrame, .. second], output);
        Assert.Equal([.. Text, .. "tail"u8.ToArray()], output);
    }

    [Fact]
    public void Compress_GzipEmptyInput_WritesValidEmptyMember()
    {
        var member = PageCodecTests.Compress(CompressionCodec.Gzip, []);
        Assert.Equal(20, member.Length);
        using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(member), System.IO.Compression.CompressionMode.Decompress);
        Assert.Equal(-1, gzip.ReadByte());
    }

    [Fact]
    public void Decompress_Lz4EmptyBlock_GivesNothing()
    {
        // lz4 compresses empty input to one token with no literals.
        PageCodec.Decompress(CompressionCodec.Lz4Raw, [0x00], []);
        var error = Assert.Throws<ParquetException>(() => PageCodec.Decompress(CompressionCodec.Lz4Raw, [0x00], new byte[1]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void Decompress_Lz4MatchBeforeStart_ThrowsCorruptPage()
    {
        // One literal 'x', then a match 2 bytes back: only 1 byte exists.
        var error = Assert.Throws<ParquetException>(() => PageCodec.Decompress(CompressionCodec.Lz4Raw, [0x10, 0x78, 0x02, 0x00, 0x00], new byte[5]));
        Assert.Equal(ParquetErrorCodes.CorruptPage, error.Code);
    }

    [Fact]
    public void Decompress_SnappyHandBlockWithOverlappingCopy_RepeatsPattern()
    {
        // Length 12; literal "abcd" (tag 3 << 2); copy with 1-byte offset, length 8 (tag (8 - 4) << 2 | 1), offset 4.
        byte[] block = [0x0C, 0x0C, (byte)'a', (byte)'b', (byte)'c', (byte)'d', 0x11, 0x04];
        var output = new byte[12];
        PageCodec.Decompress(CompressionCodec.Snappy, block, output);
        Assert.Equal("abcdabcdabcd", System.Text.Encoding.ASCII.GetString(output));
    }

    private static void AssertDecodes(CompressionCodec codec, byte[] stream)
    {
        var output = new byte[Text.Length];
        PageCodec.Decompress(codec, stream, output);
        Assert.Equal(Text, output);
    }
}
