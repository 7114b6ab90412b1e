using System.Buffers;

namespace FhirRisk.Parquet.Internal.Codecs;

/// <summary>
/// SNAPPY pages: one raw snappy block per page (no framing), which is what Parquet writers emit. Compression is
/// IronSnappy's; decompression is <see cref="SnappyDecoder"/>, with IronSnappy as its reference twin.
/// </summary>
internal static class SnappyCodec
{
    public static void Compress(ReadOnlySpan<byte> input, IBufferWriter<byte> output) =>
        output.Write(IronSnappy.Snappy.Encode(input));

    public static void Decompress(ReadOnlySpan<byte> input, Span<byte> output) => SnappyDecoder.Decompress(input, output);

    /// <summary>Decompression by IronSnappy, the oracle for <see cref="SnappyDecoder"/>.</summary>
    public static void DecompressReference(ReadOnlySpan<byte> input, Span<byte> output)
    {
        // Checking the declared length first keeps a corrupt header from making IronSnappy allocate an arbitrary array.
        var declared = SnappyDecoder.ReadLength(input, out _);
        if (declared != output.Length)
            throw CodecErrors.SizeMismatch("SNAPPY", output.Length, declared.ToString(System.Globalization.CultureInfo.InvariantCulture));
        byte[] decoded;
        try
        {
            decoded = IronSnappy.Snappy.Decode(input);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw CodecErrors.Corrupt("SNAPPY", e);
        }
        if (decoded.Length != output.Length)
            throw CodecErrors.SizeMismatch("SNAPPY", output.Length, decoded.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        decoded.CopyTo(output);
    }
}
