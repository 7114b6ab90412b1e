namespace FhirRisk.Parquet;

/// <summary>Value types a <see cref="ParquetColumn"/> holds. Each maps to one Parquet physical + logical type.</summary>
public enum ParquetType
{
    /// <summary>BOOLEAN; values are <c>bool[]</c>.</summary>
    Boolean,
    /// <summary>INT32; values are <c>int[]</c>. INT_8/INT_16/UINT_* and DATE read as INT32 too.</summary>
    Int32,
    /// <summary>INT64; values are <c>long[]</c>.</summary>
    Int64,
    /// <summary>FLOAT; values are <c>float[]</c>.</summary>
    Float,
    /// <summary>DOUBLE; values are <c>double[]</c>.</summary>
    Double,
    /// <summary>BYTE_ARRAY with the STRING logical type; values are <c>string?[]</c>.</summary>
    String,
    /// <summary>BYTE_ARRAY without a logical type; values are <c>byte[]?[]</c>.</summary>
    Binary,
    /// <summary>INT64 with the TIMESTAMP logical type; values are <c>long[]</c> in <see cref="ParquetField.TimestampUnit"/> since the Unix epoch.</summary>
    Timestamp,
    /// <summary>
    /// DECIMAL (INT32, INT64, FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY unscaled integers; LogicalTypes.md "DECIMAL"), read only.
    /// Values are <c>double[]</c>: unscaled ÷ 10^<see cref="ParquetField.DecimalScale"/>, the nearest double when
    /// <see cref="ParquetField.DecimalPrecision"/> ≤ 15 and the scale ≤ 22, within a few units in the last place beyond.
    /// The writer rejects it; write <see cref="Double"/> instead.
    /// </summary>
    Decimal,
}

/// <summary>Resolution of a <see cref="ParquetType.Timestamp"/> column.</summary>
public enum TimestampUnit
{
    Millis,
    Micros,
    Nanos,
}

/// <summary>
/// One top-level column. <see cref="Nullable"/> maps to OPTIONAL (else REQUIRED). When <see cref="IsList"/> is set the
/// column is a standard three-level LIST whose elements have type <see cref="Type"/>; <see cref="Nullable"/> then
/// applies to the list and <see cref="ElementNullable"/> to its elements.
/// </summary>
public sealed record ParquetField(string Name, ParquetType Type, bool Nullable = true)
{
    public TimestampUnit TimestampUnit { get; init; } = TimestampUnit.Micros;

    /// <summary>The TIMESTAMP logical type's isAdjustedToUTC. MEDS timestamps are naive (false).</summary>
    public bool IsAdjustedToUtc { get; init; }

    /// <summary>For <see cref="ParquetType.Decimal"/>: the number of significant decimal digits the column may hold.</summary>
    public int DecimalPrecision { get; init; }

    /// <summary>For <see cref="ParquetType.Decimal"/>: digits after the decimal point (a value is unscaled ÷ 10^scale).</summary>
    public int DecimalScale { get; init; }

    public bool IsList { get; init; }

    public bool ElementNullable { get; init; } = true;

    public static ParquetField ListOf(string name, ParquetType elementType, bool nullable = true, bool elementNullable = true) =>
        new(name, elementType, nullable) { IsList = true, ElementNullable = elementNullable };

    public static ParquetField Timestamp(string name, bool nullable = true, TimestampUnit unit = TimestampUnit.Micros) =>
        new(name, ParquetType.Timestamp, nullable) { TimestampUnit = unit };

    /// <summary>The CLR type of one element of <see cref="ParquetColumn.Values"/> (for lists: of one list's elements).</summary>
    internal Type ValueClrType => (Type, IsList) switch
    {
        (ParquetType.Boolean, false) => typeof(bool),
        (ParquetType.Int32, false) => typeof(int),
        (ParquetType.Int64 or ParquetType.Timestamp, false) => typeof(long),
        (ParquetType.Float, false) => typeof(float),
        (ParquetType.Double or ParquetType.Decimal, false) => typeof(double),
        (ParquetType.Boolean, true) => typeof(bool?),
        (ParquetType.Int32, true) => typeof(int?),
        (ParquetType.Int64 or ParquetType.Timestamp, true) => typeof(long?),
        (ParquetType.Float, true) => typeof(float?),
        (ParquetType.Double or ParquetType.Decimal, true) => typeof(double?),
        (ParquetType.String, _) => typeof(string),
        (ParquetType.Binary, _) => typeof(byte[]),
        _ => throw new ArgumentOutOfRangeException(nameof(Type), Type, null),
    };
}

/// <summary>An ordered set of uniquely named top-level fields.</summary>
public sealed class ParquetSchema
{
    private readonly Dictionary<string, int> _indexByName;

    public ParquetSchema(IEnumerable<ParquetField> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        Fields = fields.ToArray();
        _indexByName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Fields.Count; i++)
        {
            if (!_indexByName.TryAdd(Fields[i].Name, i))
                throw new ArgumentException($"Duplicate column name '{Fields[i].Name}'.", nameof(fields));
        }
    }

    public ParquetSchema(params ParquetField[] fields) : this((IEnumerable<ParquetField>)fields)
    {
    }

    public IReadOnlyList<ParquetField> Fields { get; }

    /// <summary>
    /// For a schema read from a file: top-level columns present in the file that this library cannot represent, with
    /// the reason (so callers can say "column 'time' is INT96" rather than "column 'time' is missing"). Empty otherwise.
    /// </summary>
    public IReadOnlyDictionary<string, string> UnsupportedFields { get; init; } = new Dictionary<string, string>();

    public ParquetField this[string name] => Fields[IndexOf(name)];

    /// <summary>Index of the field, or -1.</summary>
    public int IndexOf(string name) => _indexByName.TryGetValue(name, out var i) ? i : -1;

    public bool Contains(string name) => _indexByName.ContainsKey(name);
}
