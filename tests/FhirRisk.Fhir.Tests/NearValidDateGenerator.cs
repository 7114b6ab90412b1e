using System.Globalization;
using System.Text;
using FhirRisk.Fhir.Model;
using Xunit.Abstractions;

namespace FhirRisk.Fhir.Tests;

/// <summary>
/// Deterministic strings from the FHIR date grammar with near misses mixed in: every field is drawn from values on
/// and just past its bounds, widths, separators and zones are sometimes wrong, and one input in ten has a character
/// inserted, deleted or replaced or is cut short, so both parsers are compared on each side of every rule.
/// </summary>
internal sealed class NearValidDateGenerator(int seed)
{
    /// <summary>What a mutation may insert: grammar symbols and their lookalikes, whitespace, non-ASCII digits.</summary>
    private const string MutationAlphabet = "0123456789-:T.Z+tz /\n\u0663\u06F5\uFF11\u00A0\u00E9";

    private readonly Random _random = new(seed);
    private readonly StringBuilder _text = new();

    public string Next()
    {
        _text.Clear();
        AppendDateTime();
        if (Chance(0.1))
            Mutate();
        return _text.ToString();
    }

    private void AppendDateTime()
    {
        AppendNumber(Field(1, 10_000, 0, 1, 2024, 2100, 9999), Width(4));
        if (Chance(0.1))
            return;
        AppendSeparator('-', "/ ");
        AppendNumber(Field(1, 13, 0, 1, 2, 12, 13), Width(2));
        if (Chance(0.1))
            return;
        AppendSeparator('-', "/ ");
        AppendNumber(Field(1, 29, 0, 1, 28, 29, 30, 31, 32), Width(2));
        if (Chance(0.2))
            return;
        AppendSeparator('T', "t ");
        AppendNumber(Field(0, 24, 0, 23, 24), Width(2));
        AppendSeparator(':', ".");
        AppendNumber(Field(0, 60, 0, 59, 60), Width(2));
        if (Chance(0.75))
        {
            AppendSeparator(':', ".");
            AppendNumber(Field(0, 60, 0, 59, 60), Width(2));
            if (Chance(0.5))
                AppendFraction();
        }
        AppendZone();
    }

    private void AppendFraction()
    {
        _text.Append('.');
        var digits = Chance(0.9) ? _random.Next(1, 10) : Pick(0, 10, 11);
        for (var i = 0; i < digits; i++)
            _text.Append((char)('0' + _random.Next(10)));
    }

    private void AppendZone()
    {
        var kind = _random.Next(10);
        if (kind < 2)
            return;
        if (kind < 5)
        {
            _text.Append('Z');
            return;
        }
        if (kind == 9)
        {
            _text.Append(Pick("z", "+0500", "+5:00", "+05", "UTC", "Z+01:00"));
            return;
        }
        _text.Append(Chance(0.5) ? '+' : '-');
        AppendNumber(Field(0, 15, 0, 14, 15), Width(2));
        AppendSeparator(':', ".");
        AppendNumber(Field(0, 60, 0, 59, 60), Width(2));
    }

    private void Mutate()
    {
        var position = _random.Next(_text.Length + 1);
        var symbol = MutationAlphabet[_random.Next(MutationAlphabet.Length)];
        switch (_random.Next(4))
        {
            case 0:
                _text.Insert(position, symbol);
                break;
            case 1 when position < _text.Length:
                _text.Remove(position, 1);
                break;
            case 2 when position < _text.Length:
                _text[position] = symbol;
                break;
            default:
                _text.Length = position;
                break;
        }
    }

    private void AppendNumber(int value, int width) => _text.Append(value.ToString($"D{width}", CultureInfo.InvariantCulture));

    private void AppendSeparator(char separator, string lookalikes)
    {
        if (Chance(0.97))
            _text.Append(separator);
        else if (Chance(0.5))
            _text.Append(lookalikes[_random.Next(lookalikes.Length)]);
    }

    /// <summary>A value in [<paramref name="low"/>, <paramref name="high"/>) half the time, otherwise one of the edge cases.</summary>
    private int Field(int low, int high, params ReadOnlySpan<int> edges) => Chance(0.5) ? _random.Next(low, high) : Pick(edges);

    /// <summary>The field's width, or one digit short or long now and then.</summary>
    private int Width(int width) => Chance(0.95) ? width : width + (Chance(0.5) ? -1 : 1);

    private bool Chance(double probability) => _random.NextDouble() < probability;

    private T Pick<T>(params ReadOnlySpan<T> choices) => choices[_random.Next(choices.Length)];
}
