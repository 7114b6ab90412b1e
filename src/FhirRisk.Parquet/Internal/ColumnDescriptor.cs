using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal;

/// <summary>
/// One top-level field resolved to its single leaf column: the physical type and the Dremel levels needed to
/// shred (write) or assemble (read) it. For a LIST, <see cref="ListDefinitionLevel"/> is the level at which the list
/// itself is present (so a smaller level is a null list, that level an empty list) and <see cref="MaxDefinitionLevel"/>
/// the level of a present element.
/// </summary>
internal sealed record ColumnDescriptor(
    ParquetField Field,
    string[] Path,
    PhysicalType PhysicalType,
    int TypeLength,
    int MaxDefinitionLevel,
    int MaxRepetitionLevel,
    int ListDefinitionLevel)
{
    public string DottedPath { get; } = string.Join('.', Path);

    /// <summary>Size in bytes of one PLAIN value for fixed-width types, else 0.</summary>
    public int FixedWidth => PhysicalType switch
    {
        PhysicalType.Int32 or PhysicalType.Float => 4,
        PhysicalType.Int64 or PhysicalType.Double => 8,
        PhysicalType.Int96 => 12,
        PhysicalType.FixedLenByteArray => TypeLength,
        _ => 0,
    };

    public bool IsByteArrayLike => PhysicalType is PhysicalType.ByteArray or PhysicalType.FixedLenByteArray;

    public static ColumnDescriptor ForWriting(ParquetField field)
    {
        if (field.Type == ParquetType.Decimal)
            throw new ParquetException(ParquetErrorCodes.Unsupported,
                $"Column '{field.Name}': DECIMAL is read-only here; write the values as {nameof(ParquetType.Double)}.") { Column = field.Name };
        var physical = field.Type switch
        {
            ParquetType.Boolean => PhysicalType.Boolean,
            ParquetType.Int32 => PhysicalType.Int32,
            ParquetType.Int64 or ParquetType.Timestamp => PhysicalType.Int64,
            ParquetType.Float => PhysicalType.Float,
            ParquetType.Double => PhysicalType.Double,
            _ => PhysicalType.ByteArray,
        };
        if (!field.IsList)
            return new ColumnDescriptor(field, [field.Name], physical, 0, field.Nullable ? 1 : 0, 0, 0);
        // Standard three-level LIST (LogicalTypes.md "Lists"): <name> (LIST) / repeated group list / element.
        var listDef = field.Nullable ? 1 : 0;
        var maxDef = listDef + 1 + (field.ElementNullable ? 1 : 0);
        return new ColumnDescriptor(field, [field.Name, "list", "element"], physical, 0, maxDef, 1, listDef);
    }
}
