using System.Security.Cryptography;
using System.Text.Json;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// The content hash that makes a re-push a no-op: SHA-256 of the resource's JSON rewritten without insignificant
/// whitespace (RFC 8259 §2), so that the same resource pretty-printed or minified hashes alike. Property order and
/// <c>meta</c> count: a server that changes either has changed the resource as far as we can tell.
/// </summary>
internal static class ResourceContentHash
{
    public static string Of(ReadOnlySpan<byte> json)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(json.Length);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            while (reader.Read())
                writer.WriteRawValueOrToken(ref reader);
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    private static void WriteRawValueOrToken(this Utf8JsonWriter writer, ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                writer.WriteStartObject();
                break;
            case JsonTokenType.EndObject:
                writer.WriteEndObject();
                break;
            case JsonTokenType.StartArray:
                writer.WriteStartArray();
                break;
            case JsonTokenType.EndArray:
                writer.WriteEndArray();
                break;
            case JsonTokenType.PropertyName:
                writer.WritePropertyName(reader.GetString()!);
                break;
            case JsonTokenType.String:
                writer.WriteStringValue(reader.GetString());
                break;
            default:
                // Numbers, true, false, null: their exact text (a decimal's precision is part of FHIR's value).
                writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                break;
        }
    }
}
