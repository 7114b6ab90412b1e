using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;

namespace FhirRisk.Server.Grpc.Internal;

/// <summary>
/// Reads length-prefixed messages from a request body. Checks the declared length against the receive limit before
/// buffering the message, decompresses per the call's <c>grpc-encoding</c>, and parses with the method's parser, refusing
/// a string field that is not UTF-8 (<see cref="StringFieldCheck"/>).
/// </summary>
internal sealed class GrpcMessageReader<T>(PipeReader body, MessageParser<T> parser, GrpcMessageReaderSettings settings)
    : IGrpcStreamReader<T>
    where T : class, IMessage<T>
{
    public async ValueTask<T?> ReadAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryReadMessage(ref buffer, out var message))
            {
                body.AdvanceTo(buffer.Start);
                return message;
            }
            body.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                if (buffer.Length == 0)
                    return null;
                throw new GrpcStatusException(GrpcStatusCode.Internal, "Incomplete message: the request ended inside a message.");
            }
        }
    }

    /// <summary>The single request of a unary or server-streaming call: exactly one message, then end of stream.</summary>
    // A request of no message or of several to a method that takes one is a cardinality violation, which gRPC's
    // status-code table answers UNIMPLEMENTED (review s21-grpc L1; it was INTERNAL).
    public async ValueTask<T> ReadSingleAsync(CancellationToken cancellationToken)
    {
        var message = await ReadAsync(cancellationToken)
            ?? throw new GrpcStatusException(GrpcStatusCode.Unimplemented, "The request ended without a message.");
        if (await ReadAsync(cancellationToken) is not null)
            throw new GrpcStatusException(GrpcStatusCode.Unimplemented, "The request held more than one message for a method that takes one.");
        return message;
    }

    private bool TryReadMessage(ref ReadOnlySequence<byte> buffer, out T? message)
    {
        message = null;
        if (!MessageFrame.TryReadHeader(buffer, out var compressed, out var length))
            return false;
        if (length > (uint)settings.MaxMessageSize)
            throw new GrpcStatusException(GrpcStatusCode.ResourceExhausted,
                $"Received message larger than max ({length} vs. {settings.MaxMessageSize}).");
        if (buffer.Length < MessageFrame.HeaderLength + length)
            return false;
        var payload = buffer.Slice(MessageFrame.HeaderLength, length);
        message = compressed ? Parse(Decompress(payload)) : Parse(payload);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    private ReadOnlySequence<byte> Decompress(in ReadOnlySequence<byte> payload)
    {
        var encoding = settings.Encoding;
        if (encoding is null or MessageCompression.Identity)
            throw new GrpcStatusException(GrpcStatusCode.Internal,
                "A message has the compressed flag set but the request has no grpc-encoding.");
        if (!MessageCompression.IsSupported(encoding))
            throw new GrpcStatusException(GrpcStatusCode.Unimplemented,
                $"Unsupported grpc-encoding '{encoding}'; this server accepts {MessageCompression.AcceptEncoding}.");
        settings.OnCompressedMessage?.Invoke(encoding);
        return new ReadOnlySequence<byte>(MessageCompression.Decompress(encoding, payload, settings.MaxMessageSize));
    }

    private T Parse(in ReadOnlySequence<byte> payload)
    {
        T message;
        try
        {
            message = parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new GrpcStatusException(GrpcStatusCode.Internal, "Could not parse the request message.", e);
        }
        // The parser reads invalid UTF-8 in a string field as U+FFFD where proto3 says to refuse the message; refused as
        // the other parse failures are (the field's name is the schema's, never the value).
        string? field;
        try
        {
            field = StringFieldCheck.FirstInvalid(message.Descriptor, payload);
        }
        catch (InvalidDataException e)
        {
            throw new GrpcStatusException(GrpcStatusCode.Internal, "Could not parse the request message.", e);
        }
        if (field is not null)
            throw new GrpcStatusException(GrpcStatusCode.Internal, $"Could not parse the request message: {field} is not valid UTF-8.");
        return message;
    }
}

/// <summary>How a call's request messages are read.</summary>
/// <param name="MaxMessageSize">Largest message accepted, compressed and decompressed (bytes).</param>
/// <param name="Encoding">The request's <c>grpc-encoding</c>; null when absent.</param>
/// <param name="OnCompressedMessage">Called for each compressed message (logging).</param>
internal sealed record GrpcMessageReaderSettings(int MaxMessageSize, string? Encoding, Action<string>? OnCompressedMessage = null);
