using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace FhirRisk.Fhir.Tests.Reference;

/// <summary>
/// A canonical text of a <see cref="FhirParseResult"/> for the differential tests: outcome, each issue (code, severity,
/// path, message) in order, and the Model records written member by member with their runtime types (records compare
/// lists by reference, so record equality cannot be used). Doubles are written round-trip, dates with their ticks.
/// </summary>
internal static class ParseResultForm
{
    public static string Of(FhirParseResult result)
    {
        var text = new StringBuilder();
        text.Append(result.Outcome).Append('\n');
        foreach (var issue in result.Issues)
            text.Append(issue.Severity).Append(' ').Append(issue.Code).Append(' ').Append(issue.Path).Append(": ").Append(issue.Message).Append('\n');
        Write(text, result.Resource);
        return text.ToString();
    }

    private static void Write(StringBuilder text, object? value)
    {
        switch (value)
        {
            case null:
                text.Append("null");
                return;
            case string s:
                text.Append(JsonSerializer.Serialize(s));
                return;
            case double d:
                text.Append(d.ToString("R", CultureInfo.InvariantCulture));
                return;
            case DateTime t:
                text.Append(t.Ticks).Append(t.Kind);
                return;
            case IEnumerable items:
                text.Append('[');
                foreach (var item in items)
                {
                    Write(text, item);
                    text.Append(',');
                }
                text.Append(']');
                return;
        }
        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum)
        {
            text.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
            return;
        }
        text.Append(type.Name).Append('{');
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            text.Append(property.Name).Append('=');
            Write(text, property.GetValue(value));
            text.Append(';');
        }
        text.Append('}');
    }
}
