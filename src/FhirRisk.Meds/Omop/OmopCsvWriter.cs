using System.Globalization;
using System.Text;
using FhirRisk.Core;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// Writes one OMOP table as CSV (RFC 4180): a header row, comma separators, CRLF line ends, fields quoted only when they
/// hold a comma, quote, CR or LF (quotes doubled). Null is the empty field. Invariant culture: dates <c>yyyy-MM-dd</c>,
/// datetimes <c>yyyy-MM-dd HH:mm:ss[.ffffff]</c>, numbers in shortest round-trip form. UTF-8 without a byte-order mark.
/// </summary>
internal sealed class OmopCsvWriter : IDisposable
{
    private static readonly char[] s_needsQuotes = [',', '"', '\r', '\n'];

    private readonly StreamWriter _writer;

    public OmopCsvWriter(string path, OmopTableSchema table)
    {
        _writer = new StreamWriter(OwnerOnlyFiles.Create(path, bufferSize: 1 << 16), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16)
        {
            NewLine = "\r\n",
        };
        _writer.WriteLine(string.Join(',', table.ColumnNames));
    }

    public void WriteRow(object?[] row)
    {
        for (var i = 0; i < row.Length; i++)
        {
            if (i > 0)
                _writer.Write(',');
            WriteField(Format(row[i]));
        }
        _writer.WriteLine();
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>The CSV text of one cell (before quoting); null for an empty field.</summary>
    internal static string? Format(object? value) => value switch
    {
        null => null,
        string text => text,
        long number => number.ToString(CultureInfo.InvariantCulture),
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime time => FormatDateTime(time),
        _ => throw new ArgumentException($"Unsupported OMOP cell type {value.GetType().Name}.", nameof(value)),
    };

    private static string FormatDateTime(DateTime time) =>
        time.Ticks % TimeSpan.TicksPerSecond == 0
            ? time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : time.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

    private void WriteField(string? text)
    {
        if (text is null)
            return;
        if (text.IndexOfAny(s_needsQuotes) < 0)
        {
            _writer.Write(text);
            return;
        }
        _writer.Write('"');
        _writer.Write(text.Replace("\"", "\"\"", StringComparison.Ordinal));
        _writer.Write('"');
    }
}
