namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>
/// A schema with its full columns (<see cref="Columns"/>, the oracle) and the same rows cut into the batches that are
/// passed to <see cref="ParquetFileWriter.WriteRowGroup"/> one call each.
/// </summary>
internal sealed class GeneratedTable
{
    public GeneratedTable(ParquetSchema schema, ParquetColumn[] columns, IReadOnlyList<int> batchSizes)
    {
        Schema = schema;
        Columns = columns;
        RowCount = columns.Length == 0 ? 0 : columns[0].Length;
        var batches = new List<ParquetColumn[]>(batchSizes.Count);
        var start = 0;
        foreach (var size in batchSizes)
        {
            batches.Add(columns.Select(c => Slice(c, start, size)).ToArray());
            start += size;
        }
        if (start != RowCount)
            throw new ArgumentException($"Batch sizes add up to {start}, not {RowCount}.", nameof(batchSizes));
        Batches = batches;
    }

    public ParquetSchema Schema { get; }

    public ParquetColumn[] Columns { get; }

    public IReadOnlyList<ParquetColumn[]> Batches { get; }

    public int RowCount { get; }

    /// <summary>Random values for <paramref name="schema"/>, cut into 1..<paramref name="maxBatches"/> non-empty batches (one empty batch for 0 rows).</summary>
    public static GeneratedTable Generate(Random random, ParquetSchema schema, int rows, int maxBatches = 3, bool allowLongStrings = true)
    {
        var values = new RandomValueGenerator(random);
        var columns = schema.Fields
            .Select(field => values.NextColumn(field, rows, values.NextProfile(allowLongStrings)))
            .ToArray();
        return new GeneratedTable(schema, columns, NextBatchSizes(random, rows, maxBatches));
    }

    /// <summary>A table of hand-made columns written in one batch.</summary>
    public static GeneratedTable FromColumns(params ParquetColumn[] columns) =>
        new(new ParquetSchema(columns.Select(c => c.Field)), columns, [columns.Length == 0 ? 0 : columns[0].Length]);

    public static IReadOnlyList<int> NextBatchSizes(Random random, int rows, int maxBatches)
    {
        if (rows == 0)
            return [0];
        var cuts = Enumerable.Range(0, random.Next(0, maxBatches))
            .Select(_ => random.Next(1, rows + 1))
            .Where(cut => cut < rows)
            .Append(0).Append(rows)
            .Distinct().Order().ToArray();
        return cuts.Zip(cuts.Skip(1), (from, to) => to - from).ToArray();
    }

    /// <summary>Rows [start, start + length) of <paramref name="column"/> as a new column of the same field.</summary>
    public static ParquetColumn Slice(ParquetColumn column, int start, int length)
    {
        var values = Array.CreateInstance(column.Values.GetType().GetElementType()!, length);
        Array.Copy(column.Values, start, values, 0, length);
        var validity = column.Validity?.AsSpan(start, length).ToArray();
        return ParquetColumn.Create(column.Field, values, validity);
    }

    public override string ToString() =>
        $"{RowCount} rows in batches [{string.Join(", ", Batches.Select(b => b.Length == 0 ? 0 : b[0].Length))}], "
        + $"schema [{string.Join(", ", Schema.Fields.Select(Describe))}]";

    /// <summary>Compact field notation for failure messages: <c>name:list&lt;Timestamp(Nanos,utc)?&gt;?</c>.</summary>
    public static string Describe(ParquetField field)
    {
        var type = field.Type == ParquetType.Timestamp
            ? $"Timestamp({field.TimestampUnit}{(field.IsAdjustedToUtc ? ",utc" : "")})"
            : field.Type.ToString();
        return field.IsList
            ? $"{field.Name}:list<{type}{(field.ElementNullable ? "?" : "")}>{(field.Nullable ? "?" : "")}"
            : $"{field.Name}:{type}{(field.Nullable ? "?" : "")}";
    }
}
