using System.Globalization;
using System.Text.Json;

namespace FhirRisk.Bench.Parquet;

/// <summary>
/// Counts and sums over every value of every MEDS column — the same numbers the DuckDB query computes — so a read
/// must really decode each value, and two readers can be compared for equality.
/// </summary>
internal sealed record MedsAggregates(
    long Rows,
    Int128 SubjectIdSum,
    long TimeCount,
    Int128 TimeSum,
    long CodeLengthSum,
    long NumericCount,
    double NumericSum,
    long TextCount,
    long TextLengthSum,
    long EncounterCount,
    Int128 EncounterSum)
{
    /// <summary>
    /// The float sum is accumulated in double by both sides, but in a different order (DuckDB combines partial
    /// states per row group), so it is compared with a relative tolerance; everything else must be equal.
    /// </summary>
    private const double NumericRelativeTolerance = 1e-9;

    /// <summary>The names of the aggregates that differ from <paramref name="other"/> (empty when they agree).</summary>
    public IReadOnlyList<string> Differences(MedsAggregates other)
    {
        var differences = new List<string>();
        void Check<T>(string name, T mine, T theirs)
        {
            if (!EqualityComparer<T>.Default.Equals(mine, theirs))
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: {mine} vs {theirs}"));
        }

        Check("rows", Rows, other.Rows);
        Check("sum(subject_id)", SubjectIdSum, other.SubjectIdSum);
        Check("count(time)", TimeCount, other.TimeCount);
        Check("sum(epoch_us(time))", TimeSum, other.TimeSum);
        Check("sum(length(code))", CodeLengthSum, other.CodeLengthSum);
        Check("count(numeric_value)", NumericCount, other.NumericCount);
        var scale = Math.Max(1.0, Math.Max(Math.Abs(NumericSum), Math.Abs(other.NumericSum)));
        if (Math.Abs(NumericSum - other.NumericSum) > NumericRelativeTolerance * scale)
            differences.Add(string.Create(CultureInfo.InvariantCulture, $"sum(numeric_value): {NumericSum:R} vs {other.NumericSum:R}"));
        Check("count(text_value)", TextCount, other.TextCount);
        Check("sum(length(text_value))", TextLengthSum, other.TextLengthSum);
        Check("count(encounter_id)", EncounterCount, other.EncounterCount);
        Check("sum(encounter_id)", EncounterSum, other.EncounterSum);
        return differences;
    }

    /// <summary>Integers as decimal strings (they exceed JavaScript's safe range), the float sum as a number.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("rows", Format(Rows));
        writer.WriteString("subject_id_sum", Format(SubjectIdSum));
        writer.WriteString("time_count", Format(TimeCount));
        writer.WriteString("time_sum", Format(TimeSum));
        writer.WriteString("code_length_sum", Format(CodeLengthSum));
        writer.WriteString("numeric_count", Format(NumericCount));
        writer.WriteNumber("numeric_sum", NumericSum);
        writer.WriteString("text_count", Format(TextCount));
        writer.WriteString("text_length_sum", Format(TextLengthSum));
        writer.WriteString("encounter_count", Format(EncounterCount));
        writer.WriteString("encounter_sum", Format(EncounterSum));
        writer.WriteEndObject();
    }

    /// <summary>Reads the object <see cref="WriteJson"/> writes (and tools/interop/duckdb-bench.mjs prints).</summary>
    public static MedsAggregates FromJson(JsonElement json) => new(
        Rows: long.Parse(Text(json, "rows"), CultureInfo.InvariantCulture),
        SubjectIdSum: Int128.Parse(Text(json, "subject_id_sum"), CultureInfo.InvariantCulture),
        TimeCount: long.Parse(Text(json, "time_count"), CultureInfo.InvariantCulture),
        TimeSum: Int128.Parse(Text(json, "time_sum"), CultureInfo.InvariantCulture),
        CodeLengthSum: long.Parse(Text(json, "code_length_sum"), CultureInfo.InvariantCulture),
        NumericCount: long.Parse(Text(json, "numeric_count"), CultureInfo.InvariantCulture),
        NumericSum: Number(json, "numeric_sum"),
        TextCount: long.Parse(Text(json, "text_count"), CultureInfo.InvariantCulture),
        TextLengthSum: long.Parse(Text(json, "text_length_sum"), CultureInfo.InvariantCulture),
        EncounterCount: long.Parse(Text(json, "encounter_count"), CultureInfo.InvariantCulture),
        EncounterSum: Int128.Parse(Text(json, "encounter_sum"), CultureInfo.InvariantCulture));

    private static string Format<T>(T value) where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);

    /// <summary>SQL sums of no rows are NULL; they arrive as JSON null and mean 0 here.</summary>
    private static string Text(JsonElement json, string name) =>
        json.GetProperty(name) is { ValueKind: JsonValueKind.String } value ? value.GetString()! : "0";

    private static double Number(JsonElement json, string name) =>
        json.GetProperty(name) switch
        {
            { ValueKind: JsonValueKind.Number } value => value.GetDouble(),
            { ValueKind: JsonValueKind.String } value => double.Parse(value.GetString()!, CultureInfo.InvariantCulture),
            _ => 0.0,
        };
}
