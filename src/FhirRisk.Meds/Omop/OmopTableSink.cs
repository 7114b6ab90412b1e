using FhirRisk.Parquet;

namespace FhirRisk.Meds.Omop;

/// <summary>
/// The output of one table: checks each row against the schema (NOT NULL columns, cell types), truncates text to the
/// DDL's varchar size, and streams it to <c>&lt;table&gt;.csv</c> and/or <c>&lt;table&gt;.parquet</c>. Files are opened on
/// the first row, or by <see cref="Dispose"/> so that an empty table still gets its header / schema.
/// </summary>
internal sealed class OmopTableSink : IDisposable
{
    private readonly OmopExporterSettings _settings;
    private OmopCsvWriter? _csv;
    private OmopParquetTableWriter? _parquet;
    private bool _opened;
    private bool _closed;

    public OmopTableSink(OmopTableSchema table, OmopExporterSettings settings)
    {
        Table = table;
        _settings = settings;
    }

    public OmopTableSchema Table { get; }

    public long RowCount { get; private set; }

    /// <summary>A fresh row of nulls to fill by column name.</summary>
    public OmopRow NewRow() => new(Table);

    public void Write(OmopRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Table != Table)
            throw new ArgumentException($"Row of '{row.Table.Name}' written to '{Table.Name}'.", nameof(row));
        var cells = row.Cells;
        for (var i = 0; i < cells.Length; i++)
            cells[i] = Check(Table.Columns[i], cells[i]);
        Open();
        _csv?.WriteRow(cells);
        _parquet?.WriteRow(cells);
        RowCount++;
    }

    public void Dispose()
    {
        if (_closed)
            return;
        _closed = true;
        Open();
        _csv?.Dispose();
        _parquet?.Dispose();
    }

    private void Open()
    {
        if (_opened)
            return;
        _opened = true;
        var stem = Path.Combine(_settings.OutputFolder, Table.Name);
        if (_settings.WriteCsv)
            _csv = new OmopCsvWriter(stem + ".csv", Table);
        if (_settings.WriteParquet)
            _parquet = new OmopParquetTableWriter(stem + ".parquet", Table, _settings.ParquetOptions);
    }

    /// <summary>Schema violations are programming errors in a row builder, so they throw rather than becoming issues.</summary>
    private object? Check(OmopColumn column, object? cell)
    {
        if (cell is null)
        {
            return column.Required
                ? throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"{Table.Name}.{column.Name} is NOT NULL but no value was given.") { Column = column.Name }
                : null;
        }
        var ok = column.Type switch
        {
            OmopColumnType.Integer => cell is long,
            OmopColumnType.Decimal => cell is double,
            OmopColumnType.Text => cell is string,
            OmopColumnType.Date => cell is DateOnly,
            _ => cell is DateTime,
        };
        if (!ok)
            throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"{Table.Name}.{column.Name} is {column.Type} but got {cell.GetType().Name}.") { Column = column.Name };
        return cell is string text && column.MaxLength > 0 && text.Length > column.MaxLength ? Truncate(text, column.MaxLength) : cell;
    }

    /// <summary>Cuts to the varchar size (DDL, standards §3), never between the halves of a surrogate pair.</summary>
    internal static string Truncate(string text, int maxLength)
    {
        var length = char.IsHighSurrogate(text[maxLength - 1]) ? maxLength - 1 : maxLength;
        return text[..length];
    }
}

/// <summary>One row being built: cells by column name, null until set.</summary>
public sealed class OmopRow
{
    internal OmopRow(OmopTableSchema table)
    {
        Table = table;
        Cells = new object?[table.Columns.Count];
    }

    public OmopTableSchema Table { get; }

    internal object?[] Cells { get; }

    public object? this[string column]
    {
        get => Cells[Table.IndexOf(column)];
        set => Cells[Table.IndexOf(column)] = value;
    }
}
