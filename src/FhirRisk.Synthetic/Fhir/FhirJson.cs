using System.Globalization;
using System.Text.Json;
using FhirRisk.Synthetic.Codes;

namespace FhirRisk.Synthetic.Fhir;

/// <summary>The R4 data types the simulator writes (FHIR R4 §2.24): Coding, CodeableConcept, Reference, Period, dateTime.</summary>
internal static class FhirJson
{
    /// <summary>An R4 instant at second precision in UTC: <c>2021-03-04T10:22:00Z</c>.</summary>
    public static string FormatInstant(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static void DateTime(Utf8JsonWriter json, ReadOnlySpan<byte> name, DateTime time)
    {
        Span<byte> text = stackalloc byte[20];
        time.TryFormat(text, out var written, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        json.WriteString(name, text[..written]);
    }

    public static void Date(Utf8JsonWriter json, ReadOnlySpan<byte> name, DateTime date)
    {
        Span<byte> text = stackalloc byte[10];
        date.TryFormat(text, out var written, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        json.WriteString(name, text[..written]);
    }

    public static void Period(Utf8JsonWriter json, DateTime start, DateTime end)
    {
        json.WriteStartObject("period"u8);
        DateTime(json, "start"u8, start);
        DateTime(json, "end"u8, end);
        json.WriteEndObject();
    }

    public static void Coding(Utf8JsonWriter json, Coded coded)
    {
        json.WriteStartObject();
        CodingProperties(json, coded);
        json.WriteEndObject();
    }

    public static void Coding(Utf8JsonWriter json, ReadOnlySpan<byte> name, Coded coded)
    {
        json.WriteStartObject(name);
        CodingProperties(json, coded);
        json.WriteEndObject();
    }

    public static void CodeableConcept(Utf8JsonWriter json, ReadOnlySpan<byte> name, Coded coded)
    {
        json.WriteStartObject(name);
        CodingArray(json, coded);
        json.WriteEndObject();
    }

    /// <summary>A list of one CodeableConcept, as <c>category</c> and <c>type</c> are.</summary>
    public static void CodeableConceptList(Utf8JsonWriter json, ReadOnlySpan<byte> name, Coded coded)
    {
        json.WriteStartArray(name);
        json.WriteStartObject();
        CodingArray(json, coded);
        json.WriteEndObject();
        json.WriteEndArray();
    }

    public static void Reference(Utf8JsonWriter json, ReadOnlySpan<byte> name, string type, string id)
    {
        json.WriteStartObject(name);
        Span<char> reference = stackalloc char[type.Length + 1 + id.Length];
        type.CopyTo(reference);
        reference[type.Length] = '/';
        id.CopyTo(reference[(type.Length + 1)..]);
        json.WriteString("reference"u8, reference);
        json.WriteEndObject();
    }

    public static void Quantity(Utf8JsonWriter json, ReadOnlySpan<byte> name, double value, string unit)
    {
        json.WriteStartObject(name);
        json.WriteNumber("value"u8, value);
        json.WriteString("unit"u8, unit);
        json.WriteString("system"u8, CodeSystemUris.Ucum);
        json.WriteString("code"u8, unit);
        json.WriteEndObject();
    }

    private static void CodingArray(Utf8JsonWriter json, Coded coded)
    {
        json.WriteStartArray("coding"u8);
        Coding(json, coded);
        json.WriteEndArray();
    }

    private static void CodingProperties(Utf8JsonWriter json, Coded coded)
    {
        json.WriteString("system"u8, coded.System);
        json.WriteString("code"u8, coded.Code);
        json.WriteString("display"u8, coded.Display);
    }
}
