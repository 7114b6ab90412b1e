using System.Globalization;
using System.Text;

namespace FhirRisk.Server.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format (version 0.0.4): per family one <c># HELP</c> and one <c># TYPE</c> line
/// before its samples, label values quoted with <c>\</c>, <c>"</c> and line feeds escaped, numbers in invariant
/// culture with <c>+Inf</c>, <c>-Inf</c> and <c>NaN</c> spelled as the format wants, every line ending in <c>\n</c>.
/// </summary>
internal sealed class PrometheusText
{
    /// <summary>The media type a scraper expects for this format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();

    public void Family(string name, string help, string type)
    {
        _text.Append("# HELP ").Append(name).Append(' ');
        foreach (var c in help)
        {
            _ = c switch
            {
                '\\' => _text.Append(@"\\"),
                '\n' => _text.Append(@"\n"),
                _ => _text.Append(c),
            };
        }
        _text.Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    /// <param name="labels">Label names and values, in order; <paramref name="extra"/> (e.g. <c>le</c>) comes last.</param>
    public void Sample(string name, IReadOnlyList<string> names, IReadOnlyList<string> values, double value, (string Name, string Value)? extra = null)
    {
        _text.Append(name);
        if (names.Count > 0 || extra is not null)
        {
            _text.Append('{');
            for (var i = 0; i < names.Count; i++)
                Label(i > 0, names[i], values[i]);
            if (extra is { } e)
                Label(names.Count > 0, e.Name, e.Value);
            _text.Append('}');
        }
        _text.Append(' ').Append(Number(value)).Append('\n');
    }

    public override string ToString() => _text.ToString();

    /// <summary>A sample value or bucket bound: shortest round-trip form, or <c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>.</summary>
    public static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private void Label(bool comma, string name, string value)
    {
        if (comma)
            _text.Append(',');
        _text.Append(name).Append("=\"");
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => _text.Append(@"\\"),
                '"' => _text.Append("\\\""),
                '\n' => _text.Append(@"\n"),
                _ => _text.Append(c),
            };
        }
        _text.Append('"');
    }
}
