using System.Buffers;
using System.Text.Unicode;
using Google.Protobuf.Reflection;

namespace FhirRisk.Server.Grpc.Internal;

/// <summary>
/// Finds a <c>string</c> field that is not valid UTF-8 in an encoded message. proto3 requires a string field's bytes to
/// be UTF-8 and its parsers to refuse them otherwise (protobuf language guide, "Scalar Value Types"); Google.Protobuf's
/// C# parser instead substitutes U+FFFD, so a patient id or an event code with a stray byte would be answered as another
/// id or code. The walk follows the wire format (protobuf encoding guide: varint tags, wire types 0–5) with the message's
/// descriptor: string fields are checked, message fields (map entries included) are walked, and everything else, unknown
/// fields too, is skipped. It runs after the parser has accepted the bytes, so their framing is known to be sound.
/// </summary>
internal static class StringFieldCheck
{
    /// <summary>The full name of the first string field (e.g. <c>fhirrisk.v1.PatientEvent.code</c>) whose bytes are not
    /// valid UTF-8, or null when every one is.</summary>
    public static string? FirstInvalid(MessageDescriptor descriptor, in ReadOnlySequence<byte> message)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        var reader = new SequenceReader<byte>(message);
        return Walk(descriptor, ref reader, message.Length);
    }

    private static string? Walk(MessageDescriptor? descriptor, ref SequenceReader<byte> reader, long length)
    {
        var end = reader.Consumed + length;
        while (reader.Consumed < end)
        {
            var tag = ReadVarint(ref reader);
            var number = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    ReadVarint(ref reader);
                    break;
                case 1:
                    Skip(ref reader, 8);
                    break;
                case 5:
                    Skip(ref reader, 4);
                    break;
                case 2:
                    var size = (long)ReadVarint(ref reader);
                    var field = descriptor?.FindFieldByNumber(number);
                    if (field?.FieldType == FieldType.String)
                    {
                        if (!IsUtf8(reader.UnreadSequence.Slice(0, size)))
                            return field.FullName;
                        Skip(ref reader, size);
                    }
                    else if (field?.FieldType == FieldType.Message)
                    {
                        if (Walk(field.MessageType, ref reader, size) is { } inner)
                            return inner;
                    }
                    else
                    {
                        Skip(ref reader, size);
                    }
                    break;
                case 3: // a group of an unknown field (proto3 has none of its own): skipped to its end tag
                    SkipGroup(ref reader, number);
                    break;
                default:
                    throw new InvalidOperationException($"Wire type {tag & 7} in a message the parser accepted.");
            }
        }
        return null;
    }

    private static void SkipGroup(ref SequenceReader<byte> reader, int number)
    {
        while (true)
        {
            var tag = ReadVarint(ref reader);
            switch ((int)(tag & 7))
            {
                case 0:
                    ReadVarint(ref reader);
                    break;
                case 1:
                    Skip(ref reader, 8);
                    break;
                case 5:
                    Skip(ref reader, 4);
                    break;
                case 2:
                    Skip(ref reader, (long)ReadVarint(ref reader));
                    break;
                case 3:
                    SkipGroup(ref reader, (int)(tag >> 3));
                    break;
                case 4 when (int)(tag >> 3) == number:
                    return;
                default:
                    throw new InvalidOperationException("A group ends with another field's end tag in a message the parser accepted.");
            }
        }
    }

    private static bool IsUtf8(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
            return Utf8.IsValid(bytes.FirstSpan);
        // A string split across buffers: copied once, as the parser itself does to make a string of it.
        var copy = ArrayPool<byte>.Shared.Rent(checked((int)bytes.Length));
        try
        {
            bytes.CopyTo(copy);
            return Utf8.IsValid(copy.AsSpan(0, (int)bytes.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private static void Skip(ref SequenceReader<byte> reader, long count)
    {
        if (reader.Remaining < count)
            throw new InvalidOperationException("A field runs past the end of a message the parser accepted.");
        reader.Advance(count);
    }

    private static ulong ReadVarint(ref SequenceReader<byte> reader)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (!reader.TryRead(out var b))
                throw new InvalidOperationException("A varint runs past the end of a message the parser accepted.");
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new InvalidOperationException("A varint longer than ten bytes in a message the parser accepted.");
    }
}
