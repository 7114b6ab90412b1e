namespace FhirRisk.Parquet.Internal.Reading;

/// <summary>
/// Turns decoded leaf values plus definition/repetition levels back into rows (the "record assembly" half of the
/// Dremel encoding that Parquet uses). Non-list columns are assembled in place, back to front, with no extra copy.
/// </summary>
internal static class ColumnAssembler
{
    public static ParquetColumn Assemble(ColumnDescriptor column, LeafDecoder leaf, int[] definition, int[] repetition, int entries, int rowCount)
    {
        var field = column.Field;
        if (column.MaxRepetitionLevel > 0)
        {
            Array rows = leaf.Values switch
            {
                bool[] v => AssembleList(v, leaf.Count, column, definition, repetition, entries, rowCount, static x => (bool?)x),
                int[] v => AssembleList(v, leaf.Count, column, definition, repetition, entries, rowCount, static x => (int?)x),
                long[] v => AssembleList(v, leaf.Count, column, definition, repetition, entries, rowCount, static x => (long?)x),
                float[] v => AssembleList(v, leaf.Count, column, definition, repetition, entries, rowCount, static x => (float?)x),
                double[] v => AssembleList(v, leaf.Count, column, definition, repetition, entries, rowCount, static x => (double?)x),
                string?[] v => AssembleList(v, leaf.Count, column, definition, repetition, entries, rowCount, static x => x),
                byte[]?[] v => AssembleList(v, leaf.Count, column, definition, repetition, entries, rowCount, static x => x),
                _ => throw new InvalidOperationException($"Unexpected leaf store {leaf.Values.GetType().Name}."),
            };
            return ParquetColumn.Create(field, rows);
        }
        if (entries != rowCount)
            throw new ParquetException(ParquetErrorCodes.CorruptPage, $"Column decoded {entries} values for {rowCount} rows.");
        return leaf.Values switch
        {
            bool[] v => Flat(field, v, definition, leaf.Count, rowCount, column.MaxDefinitionLevel),
            int[] v => Flat(field, v, definition, leaf.Count, rowCount, column.MaxDefinitionLevel),
            long[] v => Flat(field, v, definition, leaf.Count, rowCount, column.MaxDefinitionLevel),
            float[] v => Flat(field, v, definition, leaf.Count, rowCount, column.MaxDefinitionLevel),
            double[] v => Flat(field, v, definition, leaf.Count, rowCount, column.MaxDefinitionLevel),
            string?[] v => Flat(field, v, definition, leaf.Count, rowCount, column.MaxDefinitionLevel),
            byte[]?[] v => Flat(field, v, definition, leaf.Count, rowCount, column.MaxDefinitionLevel),
            _ => throw new InvalidOperationException($"Unexpected leaf store {leaf.Values.GetType().Name}."),
        };
    }

    private static ParquetColumn Flat<T>(ParquetField field, T[] values, int[] definition, int defined, int rowCount, int maxDefinition)
    {
        if (values.Length != rowCount)
            Array.Resize(ref values, rowCount);
        if (maxDefinition == 0 || defined == rowCount)
            return ParquetColumn.Create(field, (Array)values);
        // Spread the packed present values to their rows, last row first, so source and destination can share the array.
        var isValueType = typeof(T).IsValueType;
        var validity = isValueType ? new bool[rowCount] : null;
        var next = defined - 1;
        for (var row = rowCount - 1; row >= 0; row--)
        {
            if (definition[row] == maxDefinition)
            {
                values[row] = values[next--];
                if (validity is not null)
                    validity[row] = true;
            }
            else
            {
                values[row] = default!;
            }
        }
        return ParquetColumn.Create(field, values, validity);
    }

    private static Array?[] AssembleList<T, TElement>(T[] values, int valueCount, ColumnDescriptor column, int[] definition,
        int[] repetition, int entries, int rowCount, Func<T, TElement> convert)
    {
        var rowsSeen = 0;
        for (var i = 0; i < entries; i++)
            rowsSeen += repetition[i] == 0 ? 1 : 0;
        if (rowsSeen != rowCount || (entries > 0 && repetition[0] != 0))
            throw new ParquetException(ParquetErrorCodes.CorruptPage, $"List column decoded {rowsSeen} rows for {rowCount}.");
        var rows = new Array?[rowCount];
        var elementLevel = column.ListDefinitionLevel + 1;
        var nextValue = 0;
        var entry = 0;
        for (var row = 0; row < rowCount; row++)
        {
            var end = entry + 1;
            while (end < entries && repetition[end] != 0)
                end++;
            // A null or empty list is one level entry (the Dremel encoding); continuation entries after one would hold
            // values that no row takes, and every later row would read its predecessor's elements.
            if (definition[entry] < elementLevel && end - entry > 1)
                throw new ParquetException(ParquetErrorCodes.CorruptPage, "A null or empty list has continuation entries.");
            if (definition[entry] < column.ListDefinitionLevel)
            {
                rows[row] = null;
            }
            else
            {
                var elements = new TElement[definition[entry] < elementLevel ? 0 : end - entry];
                for (var i = 0; i < elements.Length; i++)
                {
                    if (definition[entry + i] == column.MaxDefinitionLevel)
                    {
                        if (nextValue >= valueCount)
                            throw new ParquetException(ParquetErrorCodes.CorruptPage, "List column has more present elements than decoded values.");
                        elements[i] = convert(values[nextValue++]);
                    }
                    else if (definition[entry + i] < elementLevel)
                    {
                        throw new ParquetException(ParquetErrorCodes.CorruptPage, "A list continuation entry says the list is empty or null.");
                    }
                }
                rows[row] = elements;
            }
            entry = end;
        }
        if (nextValue != valueCount)
            throw new ParquetException(ParquetErrorCodes.CorruptPage,
                $"List column decoded {valueCount} values but its levels place {nextValue}.");
        return rows;
    }
}
