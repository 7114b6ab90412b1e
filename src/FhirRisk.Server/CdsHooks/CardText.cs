using System.Globalization;
using System.Text;

namespace FhirRisk.Server.CdsHooks;

/// <summary>Text rules of a card: the summary limit and Markdown escaping.</summary>
internal static class CardText
{
    /// <summary>The spec's card summary is a "One-sentence, &lt;140-character summary": at most 139 characters.</summary>
    public const int SummaryLimit = 139;

    /// <summary>Cuts <paramref name="text"/> to at most <paramref name="limit"/> UTF-16 characters, ending with '…', on a
    /// text-element boundary so no surrogate pair or combining sequence is split.</summary>
    public static string Truncate(string text, int limit = SummaryLimit)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        if (text.Length <= limit)
            return text;
        const char Ellipsis = '…';
        var keep = 0;
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            var end = elements.ElementIndex + elements.GetTextElement().Length;
            if (end > limit - 1)
                break;
            keep = end;
        }
        return text[..keep].TrimEnd() + Ellipsis;
    }

    /// <summary>Escapes GitHub-Flavored Markdown's inline specials so a label renders as plain text (also inside a table).</summary>
    public static string EscapeMarkdown(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '\r' or '\n')
            {
                output.Append(' ');
                continue;
            }
            if ("\\`*_{}[]()<>#+-.!|~".Contains(c, StringComparison.Ordinal))
                output.Append('\\');
            output.Append(c);
        }
        return output.ToString();
    }

    public static string Percent(double probability) => (probability * 100).ToString(probability < 0.1 ? "0.0" : "0", CultureInfo.InvariantCulture) + "%";
}
