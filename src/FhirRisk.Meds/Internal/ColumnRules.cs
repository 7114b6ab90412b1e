using FhirRisk.Core;
using FhirRisk.Parquet;

namespace FhirRisk.Meds.Internal;

/// <summary>Schema checks shared by the readers (which throw the first error) and the validator (which lists them all).</summary>
internal static class ColumnRules
{
    /// <summary>The field named <paramref name="column"/>, or null after recording MEDS010.</summary>
    public static ParquetField? Required(ParquetSchema schema, string column, string path, List<Issue> issues)
    {
        var index = schema.IndexOf(column);
        if (index >= 0)
            return schema.Fields[index];
        issues.Add(schema.UnsupportedFields.TryGetValue(column, out var reason)
            ? Issue.Error(MedsIssueCodes.ColumnWrongType, path, $"Column '{column}' cannot be read: {reason}.")
            : Issue.Error(MedsIssueCodes.RequiredColumnMissing, path, $"Required column '{column}' is missing."));
        return null;
    }

    /// <summary>
    /// The optional column shaped like <paramref name="expected"/>, or null. Absent is fine (MEDS: all null), but a
    /// column the Parquet layer cannot represent (struct, map, unsigned 64-bit, INT96) is not absent: reading it as
    /// all null would drop every value without a word, so it records MEDS011 and sets <paramref name="unreadable"/>.
    /// </summary>
    public static ParquetField? Optional(ParquetSchema schema, ParquetField expected, string path, List<Issue> issues, out bool unreadable)
    {
        var index = schema.IndexOf(expected.Name);
        unreadable = index < 0 && schema.UnsupportedFields.ContainsKey(expected.Name);
        if (unreadable)
            issues.Add(Unreadable(schema, expected, path));
        return index >= 0 ? schema.Fields[index] : null;
    }

    /// <summary>MEDS011 for a column the Parquet layer lists as unsupported, saying how to rewrite it.</summary>
    public static Issue Unreadable(ParquetSchema schema, ParquetField expected, string path) =>
        Issue.Error(MedsIssueCodes.ColumnWrongType, path,
            $"Column '{expected.Name}' cannot be read: {schema.UnsupportedFields[expected.Name]}. MEDS requires {Describe(expected)}; "
            + $"rewrite the column as that type (DuckDB: CAST({expected.Name} AS {SqlType(expected)})) or leave it out.");

    public static bool IsScalar(ParquetField field, ParquetType type) => !field.IsList && field.Type == type;

    /// <summary>Checks a required scalar column of exactly one type; records MEDS010/MEDS011 and returns whether usable.</summary>
    public static bool RequireScalar(ParquetSchema schema, string column, ParquetType type, string path, List<Issue> issues)
    {
        var field = Required(schema, column, path, issues);
        if (field is null)
            return false;
        if (IsScalar(field, type))
            return true;
        issues.Add(WrongType(field, Describe(type), path));
        return false;
    }

    /// <summary>Checks a timestamp column: other units and UTC-adjusted stamps are converted with a MEDS012 warning.</summary>
    public static bool CheckTimestamp(ParquetField field, string path, List<Issue> issues)
    {
        if (!IsScalar(field, ParquetType.Timestamp))
        {
            issues.Add(WrongType(field, "timestamp[us]", path));
            return false;
        }
        if (field.TimestampUnit != TimestampUnit.Micros)
            issues.Add(Issue.Warning(MedsIssueCodes.ColumnTypeConverted, path,
                $"Column '{field.Name}' is a timestamp in {field.TimestampUnit}; MEDS uses microseconds. Values are rescaled on read."));
        if (field.IsAdjustedToUtc)
            issues.Add(Issue.Warning(MedsIssueCodes.ColumnTypeConverted, path,
                $"Column '{field.Name}' is marked UTC-adjusted; MEDS times are timezone-naive. Values are read as naive wall-clock times."));
        return true;
    }

    public static Issue WrongType(ParquetField field, string expected, string path) =>
        Issue.Error(MedsIssueCodes.ColumnWrongType, path, $"Column '{field.Name}' is {Describe(field)}; MEDS requires {expected}.");

    public static string Describe(ParquetField field)
    {
        var type = field.Type switch
        {
            ParquetType.Timestamp => $"timestamp[{field.TimestampUnit}]",
            ParquetType.Decimal => $"decimal({field.DecimalPrecision},{field.DecimalScale})",
            _ => Describe(field.Type),
        };
        return field.IsList ? $"list<{type}>" : type;
    }

    /// <summary>The SQL (DuckDB) spelling of a MEDS column type, for hints that say how to rewrite a column.</summary>
    private static string SqlType(ParquetField field)
    {
        var type = field.Type switch
        {
            ParquetType.Boolean => "BOOLEAN",
            ParquetType.Int32 => "INTEGER",
            ParquetType.Int64 => "BIGINT",
            ParquetType.Float => "FLOAT",
            ParquetType.Double => "DOUBLE",
            ParquetType.String => "VARCHAR",
            ParquetType.Timestamp => "TIMESTAMP",
            _ => "BLOB",
        };
        return field.IsList ? type + "[]" : type;
    }

    private static string Describe(ParquetType type) => type switch
    {
        ParquetType.Boolean => "bool",
        ParquetType.Int32 => "int32",
        ParquetType.Int64 => "int64",
        ParquetType.Float => "float32",
        ParquetType.Double => "float64",
        ParquetType.String => "string",
        ParquetType.Binary => "binary",
        ParquetType.Timestamp => "timestamp[us]",
        _ => type.ToString(),
    };

    /// <summary>Throws the first error as a <see cref="MedsFormatException"/> (the readers' contract).</summary>
    public static void ThrowOnError(List<Issue> issues)
    {
        foreach (var issue in issues)
        {
            if (issue.Severity == IssueSeverity.Error)
                throw new MedsFormatException(issue);
        }
    }
}
