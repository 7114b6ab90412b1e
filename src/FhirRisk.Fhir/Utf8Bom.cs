namespace FhirRisk.Fhir;

/// <summary>
/// The UTF-8 byte order mark (EF BB BF). JSON text must not begin with one, but "implementations … MAY ignore the
/// presence of a byte order mark rather than treating it as an error" (RFC 8259 §8.1), and Windows integration engines
/// write it at the start of a file — of each file, so also at the start of a line where NDJSON files were concatenated.
/// Every reader of pushed or ingested JSON skips it (ops review s11 #12: it was "invalid JSON at byte 1", and an NDJSON
/// file lost its first line).
/// </summary>
public static class Utf8Bom
{
    public static ReadOnlySpan<byte> Bytes => [0xEF, 0xBB, 0xBF];

    /// <summary><paramref name="text"/> without a leading byte order mark.</summary>
    public static ReadOnlyMemory<byte> Skip(ReadOnlyMemory<byte> text) =>
        text.Span.StartsWith(Bytes) ? text[Bytes.Length..] : text;
}
