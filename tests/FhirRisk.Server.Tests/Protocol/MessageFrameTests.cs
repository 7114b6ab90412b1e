using System.Buffers;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Grpc.Internal;

namespace FhirRisk.Server.Tests.Protocol;

public sealed class MessageFrameTests
{
    [Fact]
    public void WriteHeader_IsFlagThenBigEndianLength()
    {
        var header = new byte[5];

        MessageFrame.WriteHeader(header, compressed: true, 0x01020304);

        Assert.Equal([1, 1, 2, 3, 4], header);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    [InlineData(false, int.MaxValue)]
    public void WriteHeader_ThenTryReadHeader_RoundTrips(bool compressed, int length)
    {
        var header = new byte[5];
        MessageFrame.WriteHeader(header, compressed, length);

        Assert.True(MessageFrame.TryReadHeader(new ReadOnlySequence<byte>(header), out var readCompressed, out var readLength));
        Assert.Equal(compressed, readCompressed);
        Assert.Equal((uint)length, readLength);
    }

    [Fact]
    public void TryReadHeader_SplitAcrossSegments_Reads()
    {
        var sequence = Segments.Of([0], [0, 0], [1, 0]);

        Assert.True(MessageFrame.TryReadHeader(sequence, out var compressed, out var length));
        Assert.False(compressed);
        Assert.Equal(256u, length);
    }

    [Fact]
    public void TryReadHeader_FewerThanFiveBytes_False()
    {
        Assert.False(MessageFrame.TryReadHeader(new ReadOnlySequence<byte>(new byte[4]), out _, out _));
    }

    [Fact]
    public void TryReadHeader_ReservedFlagBits_Internal()
    {
        var e = Assert.Throws<GrpcStatusException>(() => MessageFrame.TryReadHeader(new ReadOnlySequence<byte>(new byte[] { 2, 0, 0, 0, 0 }), out _, out _));

        Assert.Equal(GrpcStatusCode.Internal, e.Code);
    }
}

/// <summary>Builds multi-segment sequences, as a socket delivers them.</summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Of(params byte[][] parts)
    {
        Segment? first = null;
        Segment? last = null;
        foreach (var part in parts)
        {
            var segment = new Segment(part);
            if (first is null)
                first = segment;
            else
                last!.Append(segment);
            last = segment;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] memory)
        {
            Memory = memory;
        }

        public void Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
        }
    }
}
