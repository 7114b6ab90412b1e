using FhirRisk.Core;
using FhirRisk.Parquet;

namespace FhirRisk.Meds.Internal;

/// <summary>
/// Which MEDS columns an event shard has and how to decode them. Other tools write every column OPTIONAL, add extra
/// columns, may omit <c>numeric_value</c> (allowed since v0.4) and may store float64 or DECIMAL values or ms/ns timestamps.
/// </summary>
internal sealed record EventColumnLayout(
    TimestampUnit TimeUnit,
    bool HasNumericValue,
    bool NumericIsDouble,
    bool HasTextValue,
    bool HasEncounterId)
{
    /// <summary>Checks <paramref name="schema"/> against MEDS v0.4 (peers.md §5.1); null when a required column is unusable.</summary>
    public static EventColumnLayout? Resolve(ParquetSchema schema, string path, List<Issue> issues)
    {
        var usable = ColumnRules.RequireScalar(schema, MedsSchema.SubjectIdColumn, ParquetType.Int64, path, issues);
        var time = ColumnRules.Required(schema, MedsSchema.TimeColumn, path, issues);
        usable &= time is not null && ColumnRules.CheckTimestamp(time, path, issues);
        usable &= ColumnRules.RequireScalar(schema, MedsSchema.CodeColumn, ParquetType.String, path, issues);

        var numeric = ColumnRules.Optional(schema, MedsSchema.Data[MedsSchema.NumericValueColumn], path, issues, out var numericUnreadable);
        usable &= !numericUnreadable;
        // float64 and DECIMAL both arrive as double[] (the Parquet layer scales decimals) and are narrowed to float32.
        var numericIsDouble = numeric is not null && (ColumnRules.IsScalar(numeric, ParquetType.Double) || ColumnRules.IsScalar(numeric, ParquetType.Decimal));
        if (numeric is not null && ColumnRules.IsScalar(numeric, ParquetType.Decimal))
            issues.Add(Issue.Warning(MedsIssueCodes.ColumnTypeConverted, path, DecimalNarrowing(numeric)));
        else if (numericIsDouble)
            issues.Add(Issue.Warning(MedsIssueCodes.ColumnTypeConverted, path, "Column 'numeric_value' is float64; MEDS uses float32. Values are narrowed on read."));
        else if (numeric is not null && !ColumnRules.IsScalar(numeric, ParquetType.Float))
        {
            issues.Add(ColumnRules.WrongType(numeric, "float32", path));
            usable = false;
        }

        var text = ColumnRules.Optional(schema, MedsSchema.Data[MedsSchema.TextValueColumn], path, issues, out var textUnreadable);
        usable &= !textUnreadable;
        if (text is not null && !ColumnRules.IsScalar(text, ParquetType.String))
        {
            issues.Add(ColumnRules.WrongType(text, "string", path));
            usable = false;
        }

        // encounter_id is our extension, not MEDS: a foreign column of that name with another type is ignored, and so is
        // one the Parquet layer cannot represent, but neither silently.
        var encounter = schema.Contains(MedsSchema.EncounterIdColumn) ? schema[MedsSchema.EncounterIdColumn] : null;
        var hasEncounter = encounter is not null && ColumnRules.IsScalar(encounter, ParquetType.Int64);
        if (encounter is not null && !hasEncounter)
            issues.Add(Issue.Warning(MedsIssueCodes.ColumnTypeConverted, path,
                $"Column 'encounter_id' is {ColumnRules.Describe(encounter)}, not int64; it is ignored."));
        else if (schema.UnsupportedFields.TryGetValue(MedsSchema.EncounterIdColumn, out var reason))
            issues.Add(Issue.Warning(MedsIssueCodes.ColumnTypeConverted, path,
                $"Column 'encounter_id' cannot be read ({reason}); it is ignored."));

        return usable
            ? new EventColumnLayout(time!.TimestampUnit, numeric is not null, numericIsDouble, text is not null, hasEncounter)
            : null;
    }

    /// <summary>
    /// float32 keeps 6 significant decimal digits through a round trip (FLT_DIG, C11 §5.2.4.2.2), so a DECIMAL of
    /// greater precision may lose digits on the way to MEDS's float32.
    /// </summary>
    private static string DecimalNarrowing(ParquetField numeric) =>
        $"Column 'numeric_value' is {ColumnRules.Describe(numeric)}; MEDS uses float32. Values are read as unscaled / 10^{numeric.DecimalScale}"
        + (numeric.DecimalPrecision > 6
            ? $" and rounded to float32, which keeps 6 significant digits of the {numeric.DecimalPrecision} this type allows."
            : " and rounded to float32, which keeps all of their digits.");

    /// <summary>The columns to read for <paramref name="wanted"/>; <c>subject_id</c> always.</summary>
    public List<string> ColumnsToRead(MedsEventColumns wanted)
    {
        var columns = new List<string>(6) { MedsSchema.SubjectIdColumn };
        if (wanted.HasFlag(MedsEventColumns.Time))
            columns.Add(MedsSchema.TimeColumn);
        if (wanted.HasFlag(MedsEventColumns.Code))
            columns.Add(MedsSchema.CodeColumn);
        if (wanted.HasFlag(MedsEventColumns.NumericValue) && HasNumericValue)
            columns.Add(MedsSchema.NumericValueColumn);
        if (wanted.HasFlag(MedsEventColumns.TextValue) && HasTextValue)
            columns.Add(MedsSchema.TextValueColumn);
        if (wanted.HasFlag(MedsEventColumns.EncounterId) && HasEncounterId)
            columns.Add(MedsSchema.EncounterIdColumn);
        return columns;
    }
}
