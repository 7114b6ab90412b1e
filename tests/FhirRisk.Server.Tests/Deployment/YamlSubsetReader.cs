using System.Globalization;
using System.Text.RegularExpressions;

namespace FhirRisk.Server.Tests.Deployment;

/// <summary>
/// Reads the YAML our deploy/ manifests are written in, and refuses the rest: block mappings and sequences (a nested
/// block indented deeper than its key), plain, single- and double-quoted scalars, <c>[]</c>/<c>{}</c> and flow
/// sequences of scalars, comments, and <c>---</c> between documents. Mappings are
/// <see cref="Dictionary{TKey, TValue}"/> of string to node, sequences <see cref="List{T}"/> of nodes, scalars strings.
/// No YAML package is available (DESIGN §1), and the manifests need no more.
/// </summary>
internal static partial class YamlSubsetReader
{
    public static IReadOnlyList<Dictionary<string, object?>> ReadDocuments(string text)
    {
        var documents = new List<Dictionary<string, object?>>();
        var lines = new List<Line>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            if (raw.TrimEnd() == "---")
            {
                AddDocument(documents, lines);
                lines = [];
                continue;
            }
            var content = StripComment(raw).TrimEnd();
            if (content.Trim().Length == 0)
                continue;
            if (content.Contains('\t', StringComparison.Ordinal))
                throw new FormatException($"line {number}: tabs are not YAML indentation");
            lines.Add(new Line(number, content.Length - content.TrimStart().Length, content.TrimStart()));
        }
        AddDocument(documents, lines);
        return documents;
    }

    private static void AddDocument(List<Dictionary<string, object?>> documents, List<Line> lines)
    {
        if (lines.Count == 0)
            return;
        var position = 0;
        var node = ParseBlock(lines, ref position, lines[0].Indent);
        if (position != lines.Count)
            throw new FormatException($"line {lines[position].Number}: unexpected indentation");
        documents.Add(node as Dictionary<string, object?> ?? throw new FormatException($"line {lines[0].Number}: a document must be a mapping"));
    }

    private static object ParseBlock(List<Line> lines, ref int position, int indent) =>
        IsSequenceItem(lines[position].Text) ? ParseSequence(lines, ref position, indent) : ParseMapping(lines, ref position, indent);

    private static Dictionary<string, object?> ParseMapping(List<Line> lines, ref int position, int indent)
    {
        var mapping = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (position < lines.Count && lines[position].Indent == indent && !IsSequenceItem(lines[position].Text))
        {
            var line = lines[position];
            var match = KeyPattern().Match(line.Text);
            if (!match.Success)
                throw new FormatException($"line {line.Number}: expected 'key: value'");
            var key = Unquote(match.Groups["key"].Value, line.Number);
            var rest = line.Text[match.Length..].Trim();
            position++;
            object? value;
            if (rest.Length > 0)
                value = Scalar(rest, line.Number);
            else if (position < lines.Count && lines[position].Indent > indent)
                value = ParseBlock(lines, ref position, lines[position].Indent);
            else
                value = null;
            if (!mapping.TryAdd(key, value))
                throw new FormatException($"line {line.Number}: duplicate key '{key}'");
        }
        if (position < lines.Count && lines[position].Indent > indent)
            throw new FormatException($"line {lines[position].Number}: unexpected indentation");
        return mapping;
    }

    private static List<object?> ParseSequence(List<Line> lines, ref int position, int indent)
    {
        var sequence = new List<object?>();
        while (position < lines.Count && lines[position].Indent == indent && IsSequenceItem(lines[position].Text))
        {
            var line = lines[position];
            var item = line.Text[1..].TrimStart();
            var itemIndent = indent + (line.Text.Length - item.Length);
            if (item.Length == 0)
            {
                position++;
                sequence.Add(position < lines.Count && lines[position].Indent > indent ? ParseBlock(lines, ref position, lines[position].Indent) : null);
            }
            else if (KeyPattern().IsMatch(item))
            {
                // "- key: value" opens a mapping whose further keys align with "key".
                lines[position] = new Line(line.Number, itemIndent, item);
                sequence.Add(ParseMapping(lines, ref position, itemIndent));
            }
            else
            {
                sequence.Add(Scalar(item, line.Number));
                position++;
            }
        }
        return sequence;
    }

    private static object Scalar(string text, int number)
    {
        if (text is "{}")
            return new Dictionary<string, object?>(StringComparer.Ordinal);
        if (text.StartsWith('['))
        {
            if (!text.EndsWith(']'))
                throw new FormatException($"line {number}: unterminated flow sequence");
            var inner = text[1..^1].Trim();
            return inner.Length == 0 ? new List<object?>() : FlowItems(inner, number).Select(i => (object?)Unquote(i, number)).ToList();
        }
        if (text.StartsWith('{') || text.StartsWith('|') || text.StartsWith('>') || text.StartsWith('&') || text.StartsWith('*'))
            throw new FormatException($"line {number}: '{text[0]}' is outside the YAML subset the manifests use");
        return Unquote(text, number);
    }

    private static IEnumerable<string> FlowItems(string inner, int number)
    {
        var start = 0;
        char? quote = null;
        for (var i = 0; i < inner.Length; i++)
        {
            var c = inner[i];
            if (quote is null && c is '"' or '\'')
                quote = c;
            else if (quote == c)
                quote = null;
            else if (quote is null && c == ',')
            {
                yield return inner[start..i].Trim();
                start = i + 1;
            }
        }
        if (quote is not null)
            throw new FormatException($"line {number}: unterminated quote");
        yield return inner[start..].Trim();
    }

    private static string Unquote(string text, int number)
    {
        if (text.Length >= 2 && text[0] == '\'' && text[^1] == '\'')
            return text[1..^1].Replace("''", "'", StringComparison.Ordinal);
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"')
        {
            var inner = text[1..^1];
            if (inner.Contains('\\', StringComparison.Ordinal))
                throw new FormatException($"line {number}: escapes in double-quoted scalars are outside the subset");
            return inner;
        }
        if (text[0] is '"' or '\'')
            throw new FormatException($"line {number}: unterminated quote");
        return text;
    }

    /// <summary>Drops a comment: '#' at the start or after a space, outside quotes.</summary>
    private static string StripComment(string line)
    {
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is null && c is '"' or '\'')
                quote = c;
            else if (quote == c)
                quote = null;
            else if (quote is null && c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
                return line[..i];
        }
        return line;
    }

    private static bool IsSequenceItem(string text) => text == "-" || text.StartsWith("- ", StringComparison.Ordinal);

    /// <summary>A plain or quoted key followed by ':' and a space or the end of the line.</summary>
    [GeneratedRegex("""^(?<key>"[^"]*"|'[^']*'|[^\s"'\[{#][^:]*):(?=\s|$)""", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();

    private readonly record struct Line(int Number, int Indent, string Text);

    /// <summary>Indexes into a parsed node by mapping keys and sequence positions; throws naming the missing step.</summary>
    public static object? At(object? node, params object[] path)
    {
        foreach (var step in path)
        {
            node = (node, step) switch
            {
                (Dictionary<string, object?> map, string key) when map.TryGetValue(key, out var value) => value,
                (List<object?> list, int index) when index < list.Count => list[index],
                _ => throw new KeyNotFoundException(string.Create(CultureInfo.InvariantCulture, $"no '{step}' in the manifest node")),
            };
        }
        return node;
    }
}
