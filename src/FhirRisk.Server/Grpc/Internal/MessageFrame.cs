using System.Buffers;
using System.Buffers.Binary;

namespace FhirRisk.Server.Grpc.Internal;

/// <summary>
/// The gRPC length-prefixed message: a 1-byte Compressed-Flag, a 4-byte big-endian Message-Length, then the message
/// (gRPC doc/PROTOCOL-HTTP2.md, "Length-Prefixed-Message").
/// </summary>
internal static class MessageFrame
{
    public const int HeaderLength = 5;

    public static void WriteHeader(Span<byte> destination, bool compressed, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        destination[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination[1..HeaderLength], (uint)length);
    }

    /// <summary>Reads a frame header from the start of <paramref name="buffer"/>; false when fewer than 5 bytes are
    /// there. A flag other than 0 or 1 is a protocol error (INTERNAL): the other bits are reserved.</summary>
    public static bool TryReadHeader(in ReadOnlySequence<byte> buffer, out bool compressed, out uint length)
    {
        compressed = false;
        length = 0;
        if (buffer.Length < HeaderLength)
            return false;
        Span<byte> header = stackalloc byte[HeaderLength];
        buffer.Slice(0, HeaderLength).CopyTo(header);
        compressed = header[0] switch
        {
            0 => false,
            1 => true,
            _ => throw new GrpcStatusException(GrpcStatusCode.Internal, $"Invalid compressed flag {header[0]} in a message header."),
        };
        length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        return true;
    }
}
