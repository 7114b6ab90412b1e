using System.Buffers;
using System.Text;
using FhirRisk.Grpc.V1;
using FhirRisk.Server.Grpc.Internal;
using Google.Protobuf;
using Grpc.Health.V1;

namespace FhirRisk.Server.Tests.Protocol;

public sealed class StringFieldCheckTests
{
    // Four bytes the tests overwrite in place, so that every length prefix stays right.
    private const string Marker = "QQQQ";

    [Fact]
    public void The_parser_alone_reads_invalid_UTF8_as_U_FFFD()
    {
        // Why the check exists: pinned so that a parser that starts refusing such bytes shows up here.
        var bytes = Patched(new HealthCheckRequest { Service = Marker }, [0x41, 0xFF, 0x42, 0x43]);

        Assert.Equal("A\uFFFDBC", HealthCheckRequest.Parser.ParseFrom(bytes).Service);
    }

    [Fact]
    public void Valid_strings_at_every_depth_pass()
    {
        var request = Request("LOINC//8310-5//Cel", "°C ≥ 38 🌡", "患者-1");

        Assert.Null(StringFieldCheck.FirstInvalid(PredictRequest.Descriptor, new ReadOnlySequence<byte>(request.ToByteArray())));
    }

    [Theory]
    [InlineData(new byte[] { 0x41, 0xFF, 0x42, 0x43 })] // a byte that is never UTF-8
    [InlineData(new byte[] { 0xC0, 0x80, 0x42, 0x43 })] // an overlong NUL
    [InlineData(new byte[] { 0xED, 0xA0, 0x80, 0x43 })] // a UTF-16 surrogate written as UTF-8
    [InlineData(new byte[] { 0x41, 0x42, 0x43, 0xE2 })] // a sequence cut at the string's end
    [InlineData(new byte[] { 0x41, 0x80, 0x42, 0x43 })] // a continuation byte alone
    public void An_invalid_string_in_a_repeated_nested_message_is_named(byte[] bad)
    {
        var bytes = Patched(Request(Marker, "x", "p"), bad);

        Assert.Equal("fhirrisk.v1.Event.code", StringFieldCheck.FirstInvalid(PredictRequest.Descriptor, new ReadOnlySequence<byte>(bytes)));
    }

    [Fact]
    public void An_optional_string_and_a_top_level_one_are_checked_too()
    {
        var inText = Patched(Request("LOINC//1", Marker, "p"), [0x41, 0xFF, 0x42, 0x43]);
        var inReference = Patched(Request("LOINC//1", "x", Marker), [0x41, 0xFF, 0x42, 0x43]);

        Assert.Equal("fhirrisk.v1.Event.text_value", StringFieldCheck.FirstInvalid(PredictRequest.Descriptor, new ReadOnlySequence<byte>(inText)));
        Assert.Equal("fhirrisk.v1.PatientInput.reference", StringFieldCheck.FirstInvalid(PredictRequest.Descriptor, new ReadOnlySequence<byte>(inReference)));
    }

    [Fact]
    public void A_bytes_field_is_not_text()
    {
        var request = new PredictRequest { Patient = new PatientInput { Bundle = new FhirBundle { Json = ByteString.CopyFrom(0xFF, 0xFE, 0x00) } } };

        Assert.Null(StringFieldCheck.FirstInvalid(PredictRequest.Descriptor, new ReadOnlySequence<byte>(request.ToByteArray())));
    }

    [Fact]
    public void Unknown_fields_are_skipped_unchecked_as_the_parser_keeps_them()
    {
        // Field 9 (length-delimited, invalid UTF-8), field 10 (varint), field 11 (fixed64), field 12 (a group holding a
        // length-delimited field), field 13 (fixed32), then the known service field.
        byte[] unknown =
        [
            0x4A, 0x02, 0xFF, 0xFE,
            0x50, 0x96, 0x01,
            0x59, 1, 2, 3, 4, 5, 6, 7, 8,
            0x63, 0x0A, 0x01, 0xFF, 0x64,
            0x6D, 1, 2, 3, 4,
        ];
        byte[] bytes = [.. unknown, .. new HealthCheckRequest { Service = "ok" }.ToByteArray()];

        Assert.Equal("ok", HealthCheckRequest.Parser.ParseFrom(bytes).Service);
        Assert.Null(StringFieldCheck.FirstInvalid(HealthCheckRequest.Descriptor, new ReadOnlySequence<byte>(bytes)));
    }

    [Fact]
    public void A_tag_written_with_high_bits_is_read_as_the_parser_reads_it()
    {
        // Field 1, wire type 2, written in five bytes with bit 32 set: the parser keeps the low 32 bits and reads the
        // service field; read as 64 bits it was an unknown field 536870913 and went unchecked (review s24-changes M1).
        byte[] bytes = [0x8A, 0x80, 0x80, 0x80, 0x10, 0x02, 0x41, 0xFF];

        Assert.Equal("A\uFFFD", HealthCheckRequest.Parser.ParseFrom(bytes).Service);
        Assert.Equal("grpc.health.v1.HealthCheckRequest.service", StringFieldCheck.FirstInvalid(HealthCheckRequest.Descriptor, new ReadOnlySequence<byte>(bytes)));
    }

    [Fact]
    public void Framing_the_check_cannot_follow_is_a_parse_failure_not_a_crash()
    {
        // A length past the end (the parser would have refused it; the check says so in its own terms).
        Assert.Throws<InvalidDataException>(() => StringFieldCheck.FirstInvalid(HealthCheckRequest.Descriptor, new ReadOnlySequence<byte>([0x0A, 0x7F, 0x41])));
        Assert.Throws<InvalidDataException>(() => StringFieldCheck.FirstInvalid(HealthCheckRequest.Descriptor, new ReadOnlySequence<byte>([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x41])));
    }

    [Fact]
    public void A_field_of_the_wrong_wire_type_is_an_unknown_field()
    {
        // Field 1 of HealthCheckRequest is a string; sent as a varint the parser keeps it as an unknown field.
        byte[] bytes = [0x08, 0x05];

        Assert.Equal("", HealthCheckRequest.Parser.ParseFrom(bytes).Service);
        Assert.Null(StringFieldCheck.FirstInvalid(HealthCheckRequest.Descriptor, new ReadOnlySequence<byte>(bytes)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void A_message_split_across_buffers_is_checked_whole(int segment)
    {
        var valid = Request("LOINC//8310-5//Cel", "°C 🌡 ≥", "p").ToByteArray();
        var invalid = Patched(Request("LOINC//1", "x", Marker), [0xF0, 0x9F, 0x8C, 0x41]); // a 4-byte sequence cut short

        Assert.Null(StringFieldCheck.FirstInvalid(PredictRequest.Descriptor, Segments(valid, segment)));
        Assert.Equal("fhirrisk.v1.PatientInput.reference", StringFieldCheck.FirstInvalid(PredictRequest.Descriptor, Segments(invalid, segment)));
    }

    private static PredictRequest Request(string code, string text, string reference) => new()
    {
        Patient = new PatientInput
        {
            Reference = reference,
            Events = new PatientEvents
            {
                Events =
                {
                    new Event { Code = "GENDER//F" },
                    new Event { Code = code, TextValue = text, NumericValue = 38.2, Time = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)) },
                },
            },
        },
        Options = new PredictOptions { Tasks = { "hospital_mortality" } },
    };

    private static byte[] Patched(IMessage message, byte[] replacement)
    {
        var bytes = message.ToByteArray();
        var at = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Marker));
        Assert.True(at >= 0);
        replacement.CopyTo(bytes.AsSpan(at));
        return bytes;
    }

    private static ReadOnlySequence<byte> Segments(byte[] bytes, int size)
    {
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var chunk = bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset));
            last = last is null ? first = new Segment(chunk, 0) : last.Append(chunk);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long running)
        {
            Memory = memory;
            RunningIndex = running;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
