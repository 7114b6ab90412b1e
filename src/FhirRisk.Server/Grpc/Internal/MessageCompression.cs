using System.Buffers;
using System.IO.Compression;

namespace FhirRisk.Server.Grpc.Internal;

/// <summary>
/// Per-message compression (gRPC doc/compression.md): a message whose Compressed-Flag is 1 is encoded with the
/// call's <c>grpc-encoding</c>. We support <c>gzip</c> (RFC 1952) and <c>deflate</c> (gRPC's "deflate" is the zlib
/// format, RFC 1950); <c>identity</c> means none.
/// </summary>
internal static class MessageCompression
{
    public const string Identity = "identity";
    public const string Gzip = "gzip";
    public const string Deflate = "deflate";

    /// <summary>Our <c>grpc-accept-encoding</c> value.</summary>
    public const string AcceptEncoding = "identity,gzip,deflate";

    public static bool IsSupported(string encoding) =>
        encoding is Identity or Gzip or Deflate;

    /// <summary>True when the <c>grpc-accept-encoding</c> list <paramref name="acceptEncoding"/> names
    /// <paramref name="preferred"/>.</summary>
    public static bool Accepts(string? acceptEncoding, string preferred)
    {
        if (acceptEncoding is null)
            return false;
        foreach (var range in acceptEncoding.AsSpan().Split(','))
        {
            if (acceptEncoding.AsSpan()[range].Trim().Equals(preferred, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    /// <summary>Decompresses one message; past <paramref name="maxLength"/> bytes it stops and throws
    /// RESOURCE_EXHAUSTED, so a small compressed message cannot expand without limit.</summary>
    public static byte[] Decompress(string encoding, in ReadOnlySequence<byte> payload, int maxLength)
    {
        using var input = new MemoryStream(payload.ToArray(), writable: false);
        using var decoder = OpenDecoder(encoding, input);
        using var output = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = ReadBlock(decoder, buffer, encoding)) > 0)
            {
                if (output.Length + read > maxLength)
                    throw new GrpcStatusException(GrpcStatusCode.ResourceExhausted,
                        $"Received message larger than max when decompressed (more than {maxLength} bytes).");
                output.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return output.ToArray();
    }

    public static byte[] Compress(string encoding, ReadOnlySpan<byte> message, CompressionLevel level)
    {
        using var output = new MemoryStream(message.Length / 2 + 64);
        using (Stream encoder = encoding switch
        {
            Gzip => new GZipStream(output, level, leaveOpen: true),
            Deflate => new ZLibStream(output, level, leaveOpen: true),
            _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Not a compression encoding."),
        })
        {
            encoder.Write(message);
        }
        return output.ToArray();
    }

    private static Stream OpenDecoder(string encoding, Stream input) => encoding switch
    {
        Gzip => new GZipStream(input, CompressionMode.Decompress),
        Deflate => new ZLibStream(input, CompressionMode.Decompress),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Not a compression encoding."),
    };

    private static int ReadBlock(Stream decoder, byte[] buffer, string encoding)
    {
        try
        {
            return decoder.Read(buffer, 0, buffer.Length);
        }
        catch (InvalidDataException e)
        {
            throw new GrpcStatusException(GrpcStatusCode.Internal, $"Could not decompress a {encoding} message.", e);
        }
    }
}
