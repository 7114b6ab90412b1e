using FhirRisk.Parquet;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// Writes one OMOP table as Parquet with our writer (zstd by default), buffering at most one row group of rows.
/// Types (docs/formats/omop.md "Types"): integers INT64, decimals DOUBLE, text STRING, dates and datetimes
/// TIMESTAMP(MICROS, isAdjustedToUTC=false) — dates at midnight, because our writer has no DATE logical type.
/// NOT NULL columns are REQUIRED.
/// </summary>
internal sealed class OmopParquetTableWriter : IDisposable
{
    private readonly OmopTableSchema _table;
    private readonly ParquetField[] _fields;
    private readonly ParquetFileWriter _writer;
    private readonly int _rowGroupSize;
    private readonly List<object?[]> _pending = [];

    public OmopParquetTableWriter(string path, OmopTableSchema table, ParquetWriterOptions options)
    {
        _table = table;
        _fields = [.. table.Columns.Select(ToField)];
        _rowGroupSize = options.RowGroupSize;
        _writer = ParquetFileWriter.CreateOwnerOnly(path, new ParquetSchema(_fields), options);
    }

    public static ParquetField ToField(OmopColumn column) => column.Type switch
    {
        OmopColumnType.Integer => new ParquetField(column.Name, ParquetType.Int64, !column.Required),
        OmopColumnType.Decimal => new ParquetField(column.Name, ParquetType.Double, !column.Required),
        OmopColumnType.Text => new ParquetField(column.Name, ParquetType.String, !column.Required),
        _ => ParquetField.Timestamp(column.Name, !column.Required),
    };

    public void WriteRow(object?[] row)
    {
        _pending.Add(row);
        if (_pending.Count >= _rowGroupSize)
            Flush();
    }

    public void Dispose()
    {
        Flush();
        _writer.Dispose();
    }

    private void Flush()
    {
        if (_pending.Count == 0)
            return;
        var columns = new ParquetColumn[_fields.Length];
        for (var c = 0; c < _fields.Length; c++)
            columns[c] = BuildColumn(c);
        _writer.WriteRowGroup(columns);
        _pending.Clear();
    }

    private ParquetColumn BuildColumn(int index)
    {
        var field = _fields[index];
        var rows = _pending.Count;
        switch (_table.Columns[index].Type)
        {
            case OmopColumnType.Text:
                return ParquetColumn.Create(field, _pending.Select(r => (string?)r[index]).ToArray());
            case OmopColumnType.Decimal:
            {
                var values = new double[rows];
                var valid = new bool[rows];
                for (var r = 0; r < rows; r++)
                    (values[r], valid[r]) = _pending[r][index] is double d ? (d, true) : (0d, false);
                return ParquetColumn.Create(field, values, field.Nullable ? valid : null);
            }
            default:
            {
                var values = new long[rows];
                var valid = new bool[rows];
                for (var r = 0; r < rows; r++)
                    (values[r], valid[r]) = ToInt64(_pending[r][index]);
                return ParquetColumn.Create(field, values, field.Nullable ? valid : null);
            }
        }
    }

    private static (long Value, bool Present) ToInt64(object? cell) => cell switch
    {
        long number => (number, true),
        DateOnly date => (MicrosSinceEpoch(date.ToDateTime(TimeOnly.MinValue)), true),
        DateTime time => (MicrosSinceEpoch(time), true),
        _ => (0, false),
    };

    private static long MicrosSinceEpoch(DateTime time) => (time.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
