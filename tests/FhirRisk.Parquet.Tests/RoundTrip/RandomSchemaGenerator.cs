namespace FhirRisk.Parquet.Tests.RoundTrip;

/// <summary>
/// Draws random schemas: every writable <see cref="ParquetType"/>, required and optional, three-level lists of every element type
/// (nullable or not), and timestamps of every unit with and without isAdjustedToUTC.
/// </summary>
internal sealed class RandomSchemaGenerator(Random random)
{
    // DECIMAL is read-only (the writer rejects it), so random schemas for round trips leave it out.
    private static readonly ParquetType[] AllTypes = [.. Enum.GetValues<ParquetType>().Where(t => t != ParquetType.Decimal)];

    public ParquetSchema NextSchema(int minColumns = 1, int maxColumns = 8)
    {
        var count = random.Next(minColumns, maxColumns + 1);
        return new ParquetSchema(Enumerable.Range(0, count).Select(i => NextField(ColumnName(i))));
    }

    public ParquetField NextField(string name)
    {
        var type = AllTypes[random.Next(AllTypes.Length)];
        var nullable = random.Next(2) == 0;
        // list<string> is what MEDS codes.parquet (parent_codes) holds, so it gets extra weight among the lists.
        if (random.Next(4) == 0)
        {
            var elementType = random.Next(3) == 0 ? ParquetType.String : type;
            return WithTimestampSettings(ParquetField.ListOf(name, elementType, nullable, elementNullable: random.Next(2) == 0));
        }
        return WithTimestampSettings(new ParquetField(name, type, nullable));
    }

    /// <summary>One column per type × nullability, one list per element type, and each timestamp unit.</summary>
    public static ParquetSchema AllTypesSchema()
    {
        var fields = new List<ParquetField>();
        foreach (var type in AllTypes)
        {
            var name = type.ToString().ToLowerInvariant();
            fields.Add(new ParquetField($"{name}_required", type, Nullable: false));
            fields.Add(new ParquetField($"{name}_optional", type));
            fields.Add(ParquetField.ListOf($"{name}_list", type));
            fields.Add(ParquetField.ListOf($"{name}_list_required", type, nullable: false, elementNullable: false));
        }
        fields.Add(ParquetField.Timestamp("ts_millis_utc", unit: TimestampUnit.Millis) with { IsAdjustedToUtc = true });
        fields.Add(ParquetField.Timestamp("ts_micros_utc", nullable: false) with { IsAdjustedToUtc = true });
        fields.Add(ParquetField.Timestamp("ts_nanos", unit: TimestampUnit.Nanos));
        return new ParquetSchema(fields);
    }

    // Names mix ASCII with non-ASCII letters: the footer stores them as UTF-8 and projection looks them up by name.
    private string ColumnName(int index) => random.Next(4) == 0 ? $"col_{index}_名前é" : $"col_{index}";

    private ParquetField WithTimestampSettings(ParquetField field) => field.Type != ParquetType.Timestamp
        ? field
        : field with { TimestampUnit = (TimestampUnit)random.Next(3), IsAdjustedToUtc = random.Next(2) == 0 };
}
