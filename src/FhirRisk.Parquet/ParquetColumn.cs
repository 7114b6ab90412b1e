namespace FhirRisk.Parquet;

/// <summary>
/// The values of one column for a run of rows (a row group when read). Layout by field type:
/// <list type="bullet">
/// <item>Boolean/Int32/Int64/Timestamp/Float/Double: <see cref="Values"/> is <c>bool[]</c>, <c>int[]</c>, <c>long[]</c>,
/// <c>float[]</c> or <c>double[]</c> of length <see cref="Length"/>; <see cref="Validity"/> marks present values
/// (null when every value is present; a null slot holds <c>default</c>).</item>
/// <item>String/Binary: <c>string?[]</c> or <c>byte[]?[]</c>; a null entry is a null value.</item>
/// <item>List (<see cref="ParquetField.IsList"/>): <c>Array?[]</c>, one element array per row (<c>string?[]</c>,
/// <c>byte[]?[]</c>, <c>long?[]</c>, <c>int?[]</c>, <c>float?[]</c>, <c>double?[]</c>, <c>bool?[]</c>); a null entry is a null list.</item>
/// </list>
/// </summary>
public sealed class ParquetColumn
{
    private ParquetColumn(ParquetField field, Array values, bool[]? validity)
    {
        Field = field;
        Values = values;
        Validity = validity;
    }

    public ParquetField Field { get; }

    public Array Values { get; }

    /// <summary>For value-typed columns: <c>true</c> where a value is present; null when all are present.</summary>
    public bool[]? Validity { get; }

    public int Length => Values.Length;

    /// <summary>Wraps <paramref name="values"/> (not copied) after checking its CLR type against the field.</summary>
    public static ParquetColumn Create(ParquetField field, Array values, bool[]? validity = null)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(values);
        var expected = field.IsList ? typeof(Array) : field.ValueClrType;
        if (values.GetType().GetElementType() != expected)
            throw new ParquetException(ParquetErrorCodes.SchemaMismatch,
                $"Column '{field.Name}' of type {field.Type}{(field.IsList ? " list" : "")} needs {expected.Name}[] values, got {values.GetType().Name}.") { Column = field.Name };
        if (validity is not null)
        {
            if (field.IsList || !expected.IsValueType)
                throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"Column '{field.Name}': validity applies to value-typed columns only; use null entries.") { Column = field.Name };
            if (validity.Length != values.Length)
                throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"Column '{field.Name}': validity has {validity.Length} entries for {values.Length} values.") { Column = field.Name };
        }
        return new ParquetColumn(field, values, validity);
    }

    public static ParquetColumn Create<T>(ParquetField field, T[] values, bool[]? validity = null) => Create(field, (Array)values, validity);

    /// <summary>The values as <typeparamref name="T"/>[] (e.g. <c>long[]</c>, <c>string?[]</c>, <c>Array?[]</c>).</summary>
    public T[] As<T>() => Values as T[] ?? throw new InvalidCastException(
        $"Column '{Field.Name}' holds {Values.GetType().Name}, not {typeof(T).Name}[].");

    public bool IsNull(int row) => Validity is not null ? !Validity[row] : Values.GetValue(row) is null && !Values.GetType().GetElementType()!.IsValueType;

    /// <summary>The value at <paramref name="row"/> boxed, or null (slow; for tests and tools).</summary>
    public object? GetValue(int row) => IsNull(row) ? null : Values.GetValue(row);
}

/// <summary>The columns read from one row group, in the order requested.</summary>
public sealed class ParquetRowGroup
{
    public ParquetRowGroup(int index, int rowCount, IReadOnlyList<ParquetColumn> columns)
    {
        Index = index;
        RowCount = rowCount;
        Columns = columns;
    }

    public int Index { get; }

    public int RowCount { get; }

    public IReadOnlyList<ParquetColumn> Columns { get; }

    public ParquetColumn this[string name] =>
        Columns.FirstOrDefault(c => c.Field.Name == name)
        ?? throw new KeyNotFoundException($"Column '{name}' was not read from row group {Index}.");

    public bool TryGetColumn(string name, out ParquetColumn column)
    {
        column = Columns.FirstOrDefault(c => c.Field.Name == name)!;
        return column is not null;
    }
}
