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
/// fields too, is skipped. Tags and lengths are read as the parser reads them: a varint of up to ten bytes of which the
/// low 32 bits count (Google.Protobuf's ReadRawVarint32), so a field the parser reads as a string is checked as one
/// however its tag is written (review s24-changes M1: a tag written with high bits set hid it). It runs after the parser
/// has accepted the bytes; framing it cannot follow anyway is <see cref="InvalidDataException"/>, which the reader answers
/// as the parse failure it is.
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
            var tag = ReadVarint32(ref reader);
            if ((tag & 7) != 2)
            {
                // Not length-delimited: no string or message of ours (an unknown field's group is skipped to its end tag).
                SkipValue(ref reader, tag);
                continue;
            }
            var size = Length(ref reader);
            if (size < 0 || reader.Remaining < size)
                throw new InvalidDataException("A field runs past the end of a message the parser accepted.");
            var field = descriptor?.FindFieldByNumber((int)(tag >> 3));
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
        }
        return null;
    }

    /// <summary>Skips the value of a field whose tag was just read: its varint, fixed bytes, length-delimited bytes, or
    /// group (proto3 has none of its own; an unknown field's is skipped to its matching end tag).</summary>
    private static void SkipValue(ref SequenceReader<byte> reader, uint tag)
    {
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
                Skip(ref reader, Length(ref reader));
                break;
            case 3:
                var number = tag >> 3;
                uint inner;
                while ((inner = ReadVarint32(ref reader)) != ((number << 3) | 4))
                    SkipValue(ref reader, inner);
                break;
            default:
                throw new InvalidDataException($"Wire type {tag & 7} where the parser accepted the message.");
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
        if (count < 0 || reader.Remaining < count)
            throw new InvalidDataException("A field runs past the end of a message the parser accepted.");
        reader.Advance(count);
    }

    private static ulong ReadVarint(ref SequenceReader<byte> reader)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (!reader.TryRead(out var b))
                throw new InvalidDataException("A varint runs past the end of a message the parser accepted.");
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        throw new InvalidDataException("A varint longer than ten bytes in a message the parser accepted.");
    }

    /// <summary>A tag as the parser reads it: the low 32 bits of a varint of up to ten bytes.</summary>
    private static uint ReadVarint32(ref SequenceReader<byte> reader) => (uint)ReadVarint(ref reader);

    /// <summary>A length as the parser reads it: the low 32 bits, as a signed number (a negative one it refuses).</summary>
    private static int Length(ref SequenceReader<byte> reader) => (int)ReadVarint32(ref reader);
}
