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

    public static ParquetField? Optional(ParquetSchema schema, string column)
    {
        var index = schema.IndexOf(column);
        return index >= 0 ? schema.Fields[index] : null;
    }

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
        var type = field.Type == ParquetType.Timestamp ? $"timestamp[{field.TimestampUnit}]" : Describe(field.Type);
        return field.IsList ? $"list<{type}>" : type;
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
