using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// The content hash that makes a re-push a no-op: SHA-256 of the resource's JSON rewritten without insignificant
/// whitespace (RFC 8259 §2), so that the same resource pretty-printed or minified hashes alike. Property order and
/// <c>meta</c> count: a server that changes either has changed the resource as far as we can tell.
/// </summary>
/// <remarks>
/// The rewrite is <see cref="Utf8JsonWriter"/>'s with its default encoder: names and strings unescaped and escaped
/// again, numbers, <c>true</c>, <c>false</c> and <c>null</c> as written. Every stored hash was computed so, so the
/// rewrite must not change (a different hash re-stores every resource on its next push). It runs once per pushed or
/// supplied resource, so it allocates nothing per resource but the hash's text: one writer and buffer per thread,
/// reused (and cleared after each hash: it held a patient's resource), and a name or string that needs no unescaping
/// written from its UTF-8 bytes. Only ASCII is written that way (the encoder escapes ASCII alike from UTF-8 and UTF-16);
/// anything else goes through a string as it always has. Measured on 73,525 Observations (29.7 MB): 517 MB allocated
/// before, 11 MB after, the hex strings (docs/benchmarks.md, "Twelfth record"). The tests hold it to the plain rewrite,
/// <c>ResourceContentHashTests.Reference</c>, on corpora and on every escaping case, and pin two hashes.
/// </remarks>
internal static class ResourceContentHash
{
    /// <summary>A thread's buffer grown past this by one large resource is not kept for the next.</summary>
    private const int KeptBufferBytes = 1 << 20;

    [ThreadStatic]
    private static Rewriter? t_rewriter;

    /// <summary>The lower-case hex SHA-256 of <paramref name="json"/> rewritten without insignificant whitespace.</summary>
    /// <exception cref="JsonException">Not JSON text (<see cref="Utf8JsonReader"/>'s own exception).</exception>
    /// <exception cref="InvalidOperationException">A string that cannot be unescaped (a lone surrogate escape).</exception>
    public static string Of(ReadOnlySpan<byte> json)
    {
        // Taken, not shared: an exception leaves the writer in any state, and the next call makes a fresh one.
        var rewriter = t_rewriter ?? new Rewriter();
        t_rewriter = null;
        var written = rewriter.Rewrite(json);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(written, hash);
        rewriter.Clear();
        if (rewriter.Capacity <= KeptBufferBytes)
            t_rewriter = rewriter;
        return Convert.ToHexStringLower(hash);
    }

    private sealed class Rewriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(4096);
        private readonly Utf8JsonWriter _writer;

        public Rewriter() => _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });

        public int Capacity => _buffer.Capacity;

        /// <summary>Zeroes what the last rewrite wrote.</summary>
        public void Clear() => _buffer.Clear();

        public ReadOnlySpan<byte> Rewrite(ReadOnlySpan<byte> json)
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            while (reader.Read())
                Write(ref reader);
            _writer.Flush();
            return _buffer.WrittenSpan;
        }

        private void Write(ref Utf8JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    _writer.WriteStartObject();
                    break;
                case JsonTokenType.EndObject:
                    _writer.WriteEndObject();
                    break;
                case JsonTokenType.StartArray:
                    _writer.WriteStartArray();
                    break;
                case JsonTokenType.EndArray:
                    _writer.WriteEndArray();
                    break;
                case JsonTokenType.PropertyName when IsPlainAscii(ref reader):
                    _writer.WritePropertyName(reader.ValueSpan);
                    break;
                case JsonTokenType.PropertyName:
                    _writer.WritePropertyName(reader.GetString()!);
                    break;
                case JsonTokenType.String when IsPlainAscii(ref reader):
                    _writer.WriteStringValue(reader.ValueSpan);
                    break;
                case JsonTokenType.String:
                    _writer.WriteStringValue(reader.GetString());
                    break;
                default:
                    // Numbers, true, false, null: their exact text (a decimal's precision is part of FHIR's value).
                    _writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                    break;
            }
        }

        /// <summary>A name or string written without escapes and in ASCII: its bytes are its text.</summary>
        private static bool IsPlainAscii(ref Utf8JsonReader reader) =>
            !reader.ValueIsEscaped && !reader.HasValueSequence && Ascii.IsValid(reader.ValueSpan);
    }
}
