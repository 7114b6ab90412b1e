using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FhirRisk.Core.Plotting;

namespace FhirRisk.Core.Tests.Plotting;

public sealed class PngEncoderTests
{
    [Fact]
    public void Encode_Image_HasSignatureThenIhdrIdatIendWithValidCrcs()
    {
        var png = PngEncoder.Encode(NoiseImage(37, 11, seed: 1), 37, 11);

        Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        var chunks = PngChunk.ReadAll(png);
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
        Assert.All(chunks, c => Assert.Equal(c.StoredCrc, Crc32.Compute([.. Encoding.ASCII.GetBytes(c.Type), .. c.Data])));
        var header = chunks[0].Data;
        Assert.Equal(13, header.Length);
        Assert.Equal(37, BinaryPrimitives.ReadInt32BigEndian(header));
        Assert.Equal(11, BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4)));
        Assert.Equal([8, 2, 0, 0, 0], header[8..]); // 8-bit RGB, deflate, filter method 0, no interlace
        Assert.Empty(chunks[2].Data);
        Assert.Equal([0xAE, 0x42, 0x60, 0x82], png[^4..]);
    }

    [Fact]
    public void Encode_Idat_InflatesToOneFilterBytePlusRgbPerRow()
    {
        const int width = 50, height = 20;
        var rgb = NoiseImage(width, height, seed: 2);

        var raw = Inflate(PngChunk.ReadAll(PngEncoder.Encode(rgb, width, height)).Single(c => c.Type == "IDAT").Data);

        Assert.Equal(height * (1 + width * 3), raw.Length);
        Assert.Equal(rgb, Unfilter(raw, width, height)); // the spec's reconstruction gives the pixels back
    }

    [Fact]
    public void Encode_FlatImage_CompressesWell()
    {
        var rgb = Enumerable.Repeat((byte)200, 800 * 500 * 3).ToArray();

        var png = PngEncoder.Encode(rgb, 800, 500);

        Assert.True(png.Length < 4_000, $"{png.Length} bytes for a flat 800x500 image (1.2 MB of pixels)");
    }

    [Fact]
    public void Encode_WrongPixelCount_Throws()
    {
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(new byte[10], 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngEncoder.Encode([], 0, 1));
    }

    [Theory]
    [InlineData(ScanlineFilter.None)]
    [InlineData(ScanlineFilter.Sub)]
    [InlineData(ScanlineFilter.Up)]
    [InlineData(ScanlineFilter.Average)]
    [InlineData(ScanlineFilter.Paeth)]
    public void Filter_ThenSpecReconstruction_GivesTheRowBack(byte type)
    {
        var random = new Random(type);
        var previous = new byte[30];
        var row = new byte[30];
        random.NextBytes(previous);
        random.NextBytes(row);
        var filtered = new byte[30];

        ScanlineFilter.Apply(type, row, previous, filtered, bytesPerPixel: 3);

        Assert.Equal(row, Reconstruct(type, filtered, previous, 3));
    }

    [Theory]
    [InlineData(10, 20, 12, 20)] // estimate 18: up is closest
    [InlineData(20, 10, 12, 20)] // estimate 18: left is closest
    [InlineData(10, 20, 15, 15)] // estimate 15: upLeft is closest
    [InlineData(10, 10, 10, 10)] // all equal: left wins the tie
    [InlineData(5, 9, 200, 5)]   // estimate −186: left is closest
    [InlineData(100, 110, 50, 110)] // estimate 160: up (110) is closest
    public void PaethPredictor_PicksNearestNeighbour(int left, int up, int upLeft, int expected) =>
        Assert.Equal(expected, ScanlineFilter.PaethPredictor(left, up, upLeft));

    internal static byte[] NoiseImage(int width, int height, int seed)
    {
        var rgb = new byte[width * height * 3];
        new Random(seed).NextBytes(rgb);
        // Smooth half the rows so that every filter type has something to win on.
        for (var i = 0; i < rgb.Length / 2; i++)
            rgb[i] = (byte)(i % 251);
        return rgb;
    }

    private static byte[] Inflate(byte[] zlib)
    {
        using var input = new ZLibStream(new MemoryStream(zlib), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>PNG spec §9.2 reconstruction, written out independently of the encoder.</summary>
    private static byte[] Unfilter(byte[] raw, int width, int height)
    {
        var stride = width * 3;
        var pixels = new byte[stride * height];
        var previous = new byte[stride];
        for (var y = 0; y < height; y++)
        {
            var type = raw[y * (stride + 1)];
            Assert.InRange(type, (byte)0, (byte)4);
            var row = Reconstruct(type, raw.AsSpan(y * (stride + 1) + 1, stride).ToArray(), previous, 3);
            row.CopyTo(pixels, y * stride);
            previous = row;
        }
        return pixels;
    }

    private static byte[] Reconstruct(byte type, byte[] filtered, byte[] previous, int bpp)
    {
        var row = new byte[filtered.Length];
        for (var i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
            var p = a + b - c;
            int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            var paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            var prediction = type switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => paeth };
            row[i] = (byte)(filtered[i] + prediction);
        }
        return row;
    }
}

/// <summary>A PNG chunk as stored: type, data and the CRC written after them.</summary>
internal sealed record PngChunk(string Type, byte[] Data, uint StoredCrc)
{
    public static List<PngChunk> ReadAll(byte[] png)
    {
        var chunks = new List<PngChunk>();
        for (var offset = 8; offset < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length).ToArray();
            chunks.Add(new PngChunk(type, data, BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length))));
            offset += 12 + length;
        }
        return chunks;
    }
}
