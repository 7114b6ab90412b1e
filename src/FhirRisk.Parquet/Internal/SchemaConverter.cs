using FhirRisk.Parquet.Internal.Format;

namespace FhirRisk.Parquet.Internal;

/// <summary>Maps between our flat <see cref="ParquetSchema"/> and the depth-first SchemaElement list of the footer.</summary>
internal static class SchemaConverter
{
    public static List<SchemaElement> ToElements(ParquetSchema schema)
    {
        var elements = new List<SchemaElement>(schema.Fields.Count * 3 + 1)
        {
            new() { Name = "schema", NumChildren = schema.Fields.Count },
        };
        foreach (var field in schema.Fields)
        {
            if (!field.IsList)
            {
                elements.Add(Leaf(field, field.Name, field.Nullable));
                continue;
            }
            elements.Add(new SchemaElement
            {
                Name = field.Name,
                RepetitionType = field.Nullable ? FieldRepetitionType.Optional : FieldRepetitionType.Required,
                NumChildren = 1,
                ConvertedType = ConvertedType.List,
                LogicalType = LogicalType.List(),
            });
            elements.Add(new SchemaElement { Name = "list", RepetitionType = FieldRepetitionType.Repeated, NumChildren = 1 });
            elements.Add(Leaf(field, "element", field.ElementNullable));
        }
        return elements;
    }

    private static SchemaElement Leaf(ParquetField field, string name, bool nullable)
    {
        var element = new SchemaElement
        {
            Name = name,
            RepetitionType = nullable ? FieldRepetitionType.Optional : FieldRepetitionType.Required,
            Type = ColumnDescriptor.ForWriting(field).PhysicalType,
        };
        switch (field.Type)
        {
            case ParquetType.String:
                element.ConvertedType = ConvertedType.Utf8;
                element.LogicalType = LogicalType.String();
                break;
            case ParquetType.Timestamp:
                var unit = field.TimestampUnit switch
                {
                    TimestampUnit.Millis => TimeUnitKind.Millis,
                    TimestampUnit.Micros => TimeUnitKind.Micros,
                    _ => TimeUnitKind.Nanos,
                };
                element.LogicalType = LogicalType.Timestamp(field.IsAdjustedToUtc, unit);
                // The legacy converted types only exist for UTC-adjusted millis/micros (LogicalTypes.md, "TIMESTAMP" compatibility);
                // writing them for naive timestamps would make old readers treat the values as UTC instants.
                if (field.IsAdjustedToUtc && unit != TimeUnitKind.Nanos)
                    element.ConvertedType = unit == TimeUnitKind.Millis ? ConvertedType.TimestampMillis : ConvertedType.TimestampMicros;
                break;
        }
        return element;
    }
}
