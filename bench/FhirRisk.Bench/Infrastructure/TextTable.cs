using System.Text;

namespace FhirRisk.Bench.Infrastructure;

/// <summary>A plain aligned text table (first column left-aligned, the others right-aligned like numbers).</summary>
internal sealed class TextTable
{
    private readonly string[] _headers;
    private readonly List<string[]> _rows = [];

    public TextTable(params string[] headers)
    {
        _headers = headers;
    }

    public void AddRow(params string[] cells)
    {
        if (cells.Length != _headers.Length)
            throw new ArgumentException($"Row has {cells.Length} cells, table has {_headers.Length} columns.", nameof(cells));
        _rows.Add(cells);
    }

    public void Write(TextWriter output)
    {
        var widths = _headers.Select((h, i) => _rows.Select(r => r[i].Length).Prepend(h.Length).Max()).ToArray();
        output.WriteLine(FormatRow(_headers, widths));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in _rows)
            output.WriteLine(FormatRow(row, widths));
    }

    private static string FormatRow(string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
                line.Append("  ");
            line.Append(i == 0 ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]));
        }

        return line.ToString().TrimEnd();
    }
}
