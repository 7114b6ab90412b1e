namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>How DuckDB names the types of our <see cref="ParquetField"/>s (DESCRIBE over read_parquet), and how our
/// values are expressed in duckdb.mjs's conventions (timestamps: µs since the epoch, TIMESTAMP_NS: ns).</summary>
internal static class DuckDbTypes
{
    /// <summary>The DuckDB type DuckDB reports when reading a column we wrote with <paramref name="field"/>.</summary>
    public static string Of(ParquetField field)
    {
        var scalar = field.Type switch
        {
            ParquetType.Boolean => "BOOLEAN",
            ParquetType.Int32 => "INTEGER",
            ParquetType.Int64 => "BIGINT",
            ParquetType.Float => "FLOAT",
            ParquetType.Double => "DOUBLE",
            ParquetType.String => "VARCHAR",
            ParquetType.Binary => "BLOB",
            ParquetType.Timestamp when field.IsAdjustedToUtc => "TIMESTAMP WITH TIME ZONE",
            ParquetType.Timestamp when field.TimestampUnit == TimestampUnit.Nanos => "TIMESTAMP_NS",
            ParquetType.Timestamp => "TIMESTAMP", // DuckDB widens TIMESTAMP(MILLIS) to microseconds
            _ => throw new ArgumentOutOfRangeException(nameof(field), field.Type, null),
        };
        return field.IsList ? scalar + "[]" : scalar;
    }

    /// <summary>The <see cref="ParquetType"/> our reader must produce for a column DuckDB describes as
    /// <paramref name="duckDbType"/> (narrow integers and DATE read as Int32, see <see cref="ParquetType"/>).</summary>
    public static (ParquetType Type, bool IsList) Expected(string duckDbType)
    {
        var isList = duckDbType.EndsWith("[]", StringComparison.Ordinal);
        var scalar = isList ? duckDbType[..^2] : duckDbType;
        var type = scalar switch
        {
            "BOOLEAN" => ParquetType.Boolean,
            "TINYINT" or "SMALLINT" or "INTEGER" or "DATE" => ParquetType.Int32,
            "BIGINT" => ParquetType.Int64,
            "FLOAT" => ParquetType.Float,
            "DOUBLE" => ParquetType.Double,
            "VARCHAR" => ParquetType.String,
            "BLOB" => ParquetType.Binary,
            _ when scalar.StartsWith("TIMESTAMP", StringComparison.Ordinal) => ParquetType.Timestamp,
            _ => throw new ArgumentOutOfRangeException(nameof(duckDbType), duckDbType, "no ParquetType for this DuckDB type"),
        };
        return (type, isList);
    }

    /// <summary>One of our values as duckdb.mjs would print it, decoded (see DuckDbValue.ToClr).</summary>
    public static object? ToDuckDbConvention(ParquetField field, object? value) => value switch
    {
        null => null,
        long epoch when field.Type == ParquetType.Timestamp => EpochInDuckDbUnit(field, epoch),
        Array list when field.IsList => list.Cast<object?>().Select(e => ToDuckDbConvention(ElementOf(field), e)).ToArray(),
        _ => value,
    };

    /// <summary>Every value of a column we read, in DuckDB's convention.</summary>
    public static IEnumerable<object?> Values(ParquetColumn column)
    {
        for (var row = 0; row < column.Length; row++)
            yield return ToDuckDbConvention(column.Field, column.GetValue(row));
    }

    private static long EpochInDuckDbUnit(ParquetField field, long epoch) => field.TimestampUnit switch
    {
        TimestampUnit.Millis => checked(epoch * 1000),
        _ => epoch, // micros stay micros; nanos are printed as nanos (TIMESTAMP_NS)
    };

    private static ParquetField ElementOf(ParquetField list) => list with { IsList = false };
}
