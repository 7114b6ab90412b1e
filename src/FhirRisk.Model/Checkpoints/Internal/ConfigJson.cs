using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace FhirRisk.Model.Checkpoints.Internal;

/// <summary>
/// Writes a model config map as indented JSON with keys in ordinal order, so the same config gives the same bytes.
/// Values are written by hand rather than by reflection so trimmed (self-contained GPU) publishes can save too.
/// </summary>
internal static class ConfigJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = true };

    public static byte[] Serialize(IReadOnlyDictionary<string, object> config)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, Options))
            WriteValue(writer, config);
        json.WriteByte((byte)'\n');
        return json.ToArray();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case int or long or short or byte: writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case uint or ulong: writer.WriteNumberValue(Convert.ToUInt64(value, CultureInfo.InvariantCulture)); break;
            case float f: writer.WriteNumberValue(f); break;
            case double d: writer.WriteNumberValue(d); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case JsonElement element: element.WriteTo(writer); break;
            case IReadOnlyDictionary<string, object> map:
                writer.WriteStartObject();
                foreach (var key in map.Keys.Order(StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    WriteValue(writer, map[key]);
                }

                writer.WriteEndObject();
                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (var item in items)
                    WriteValue(writer, item);
                writer.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"Config value of type {value.GetType().Name} cannot be written; use strings, numbers, booleans, lists, nested maps or JsonElement.");
        }
    }
}
