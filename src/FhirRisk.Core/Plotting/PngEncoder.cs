using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace FhirRisk.Core.Plotting;

/// <summary>
/// Writes 8-bit RGB images as PNG (W3C PNG spec, 2nd ed.): signature, IHDR, one IDAT holding the zlib stream of the
/// filtered scanlines, IEND. Each scanline gets the filter that minimises the sum of absolute filtered bytes, the
/// heuristic the spec recommends (§12.8); charts are mostly flat colour, which Sub and Up turn into long zero runs.
/// </summary>
internal static class PngEncoder
{
    /// <summary>The 8 bytes every PNG starts with (§5.2).</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private const int BytesPerPixel = 3;
    private const byte ColorTypeRgb = 2;

    /// <summary>Encodes <paramref name="rgb"/> (row-major, 3 bytes per pixel, no padding) as a PNG file.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> rgb, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (rgb.Length != (long)width * height * BytesPerPixel)
            throw new ArgumentException($"Expected {width}x{height}x{BytesPerPixel} bytes, got {rgb.Length}.", nameof(rgb));

        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;              // bit depth
        header[9] = ColorTypeRgb;
        header[10] = 0;             // compression: deflate
        header[11] = 0;             // filter method 0 (five adaptive filter types)
        header[12] = 0;             // no interlace
        WriteChunk(output, "IHDR", header);
        WriteChunk(output, "IDAT", Compress(rgb, width, height));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    private static byte[] Compress(ReadOnlySpan<byte> rgb, int width, int height)
    {
        var stride = width * BytesPerPixel;
        var filtered = new byte[(stride + 1) * height];
        var previous = new byte[stride]; // the row above the first row is all zero (§9.2)
        var candidate = new byte[stride];
        for (var y = 0; y < height; y++)
        {
            var row = rgb.Slice(y * stride, stride);
            var destination = filtered.AsSpan(y * (stride + 1), stride + 1);
            var bestCost = long.MaxValue;
            for (byte type = 0; type <= 4; type++)
            {
                ScanlineFilter.Apply(type, row, previous, candidate, BytesPerPixel);
                var cost = ScanlineFilter.Cost(candidate);
                if (cost < bestCost)
                {
                    bestCost = cost;
                    destination[0] = type;
                    candidate.CopyTo(destination[1..]);
                }
            }
            row.CopyTo(previous);
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(filtered);
        return compressed.ToArray();
    }

    /// <summary>Length, type, data, then the CRC of type and data (§5.3).</summary>
    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(typeBytes);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Finish(Crc32.Update(Crc32.Update(Crc32.Start, typeBytes), data)));
        output.Write(word);
    }
}
