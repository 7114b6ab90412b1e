using System.Runtime.CompilerServices;
namespace FhirRisk.Parquet.Internal.Writing;

/// <summary>
/// A slice of a column split into Dremel levels and its present (non-null) leaf values. For a required flat column
/// the values are the caller's array itself (no copy), starting at <see cref="ValueOffset"/>.
/// </summary>
internal sealed class ShreddedColumn
{
    public required int Entries { get; init; }

    /// <summary>Definition level per entry, or null when the column has none (required, flat).</summary>
    public int[]? Definition { get; init; }

    /// <summary>Repetition level per entry, or null for flat columns.</summary>
    public int[]? Repetition { get; init; }

    /// <summary>Present leaf values: bool[], int[], long[], float[], double[], string[] or byte[][].</summary>
    public required Array Values { get; init; }

    public required int ValueOffset { get; init; }

    public required int ValueCount { get; init; }
}

/// <summary>Computes levels and packs present values (the "column striping" half of the Dremel encoding).</summary>
internal static class ColumnShredder
{
    public static ShreddedColumn Shred(ColumnDescriptor column, ParquetColumn data, int start, int count)
    {
        if (column.MaxRepetitionLevel > 0)
            return ShredList(column, (Array?[])data.Values, start, count);
        if (column.MaxDefinitionLevel == 0)
            return new ShreddedColumn { Entries = count, Values = data.Values, ValueOffset = start, ValueCount = count };
        return data.Values switch
        {
            bool[] v => ShredOptional(v, data.Validity, start, count),
            int[] v => ShredOptional(v, data.Validity, start, count),
            long[] v => ShredOptional(v, data.Validity, start, count),
            float[] v => ShredOptional(v, data.Validity, start, count),
            double[] v => ShredOptional(v, data.Validity, start, count),
            string?[] v => ShredOptional(v, null, start, count),
            byte[]?[] v => ShredOptional(v, null, start, count),
            _ => throw new InvalidOperationException($"Unexpected value array {data.Values.GetType().Name}."),
        };
    }

    /// <summary>Whether a required column contains a null, which Parquet cannot store.</summary>
    public static bool HasNull(ParquetColumn data, int start, int count)
    {
        if (data.Validity is { } validity)
            return validity.AsSpan(start, count).Contains(false);
        if (!data.Values.GetType().GetElementType()!.IsValueType)
            return Array.IndexOf(data.Values, null, start, count) >= 0;
        return false;
    }

    // Skips tiering: a MEDS dataset is written once per process, so this per-value loop would otherwise run as tier-0
    // code; measured with the other chunk loops marked so: ~14% off the ingest write phase.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ShreddedColumn ShredOptional<T>(T[] values, bool[]? validity, int start, int count)
    {
        var definition = new int[count];
        if (validity is null && typeof(T).IsValueType)
        {
            definition.AsSpan().Fill(1);
            return new ShreddedColumn { Entries = count, Definition = definition, Values = values, ValueOffset = start, ValueCount = count };
        }
        var present = 0;
        for (var i = 0; i < count; i++)
        {
            var isPresent = validity is null ? values[start + i] is not null : validity[start + i];
            definition[i] = isPresent ? 1 : 0;
            present += isPresent ? 1 : 0;
        }
        if (present == count)
            return new ShreddedColumn { Entries = count, Definition = definition, Values = values, ValueOffset = start, ValueCount = count };
        var packed = new T[present];
        var next = 0;
        for (var i = 0; i < count; i++)
        {
            if (definition[i] == 1)
                packed[next++] = values[start + i];
        }
        return new ShreddedColumn { Entries = count, Definition = definition, Values = packed, ValueOffset = 0, ValueCount = present };
    }

    private static ShreddedColumn ShredList(ColumnDescriptor column, Array?[] rows, int start, int count)
    {
        var entries = 0;
        for (var r = start; r < start + count; r++)
            entries += rows[r] is { Length: > 0 } list ? list.Length : 1;
        var definition = new int[entries];
        var repetition = new int[entries];
        var elements = new List<object>(entries);
        var listDef = column.ListDefinitionLevel;
        var entry = 0;
        for (var r = start; r < start + count; r++)
        {
            var list = rows[r];
            if (list is null || list.Length == 0)
            {
                if (list is null && !column.Field.Nullable)
                    throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"Row {r} has a null list but the column is required.");
                // A null list stops one level short of the list itself; an empty list reaches exactly the list's level.
                definition[entry] = list is null ? listDef - 1 : listDef;
                repetition[entry++] = 0;
                continue;
            }
            for (var i = 0; i < list.Length; i++)
            {
                var element = list.GetValue(i);
                if (element is null && !column.Field.ElementNullable)
                    throw new ParquetException(ParquetErrorCodes.SchemaMismatch, $"Row {r} has a null list element but elements are required.");
                definition[entry] = element is null ? column.MaxDefinitionLevel - 1 : column.MaxDefinitionLevel;
                repetition[entry++] = i == 0 ? 0 : 1;
                if (element is not null)
                    elements.Add(element);
            }
        }
        var packed = Array.CreateInstance(column.Field.ValueClrType is { IsValueType: true } t ? Nullable.GetUnderlyingType(t)! : column.Field.ValueClrType, elements.Count);
        for (var i = 0; i < elements.Count; i++)
            packed.SetValue(elements[i], i);
        return new ShreddedColumn { Entries = entries, Definition = definition, Repetition = repetition, Values = packed, ValueOffset = 0, ValueCount = elements.Count };
    }
}
