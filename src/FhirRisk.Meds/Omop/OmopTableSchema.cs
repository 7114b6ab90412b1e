namespace FhirRisk.Meds.Omop;

/// <summary>
/// Logical column types of the OMOP CDM 5.4 DDL, as we store them (docs/formats/omop.md "Types"): DDL <c>integer</c>
/// and <c>bigint</c> are both int64; <c>float</c>/<c>numeric</c> are double; <c>date</c> is a calendar date;
/// <c>TIMESTAMP</c> is a naive UTC wall-clock time; <c>varchar(n)</c> is text of at most n characters.
/// </summary>
public enum OmopColumnType
{
    Integer,
    Decimal,
    Text,
    Date,
    DateTime,
}

/// <summary>One column of an OMOP table. <see cref="Required"/> is the DDL's NOT NULL; <see cref="MaxLength"/> the varchar size.</summary>
public sealed record OmopColumn(string Name, OmopColumnType Type, bool Required = false, int MaxLength = 0);

/// <summary>One OMOP CDM 5.4 table: its name and its columns in DDL order.</summary>
public sealed class OmopTableSchema
{
    private readonly Dictionary<string, int> _indexByName;

    public OmopTableSchema(string name, IReadOnlyList<OmopColumn> columns)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(columns);
        Name = name;
        Columns = columns;
        _indexByName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            if (!_indexByName.TryAdd(columns[i].Name, i))
                throw new ArgumentException($"Duplicate column '{columns[i].Name}' in table '{name}'.", nameof(columns));
        }
    }

    public string Name { get; }

    public IReadOnlyList<OmopColumn> Columns { get; }

    public IEnumerable<string> ColumnNames => Columns.Select(c => c.Name);

    /// <summary>Index of a column; throws for an unknown name (a programming error, not a data error).</summary>
    public int IndexOf(string column) =>
        _indexByName.TryGetValue(column, out var index) ? index : throw new ArgumentException($"Table '{Name}' has no column '{column}'.", nameof(column));
}
