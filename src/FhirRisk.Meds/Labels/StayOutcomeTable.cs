using FhirRisk.Meds.Internal;
using FhirRisk.Meds.Tasks;
using FhirRisk.Parquet;

namespace FhirRisk.Meds;

/// <summary>
/// The per-stay evaluation table of one task (docs/formats/labels.md "stays/&lt;task&gt;.parquet"): every prediction
/// point with its stay, length of stay and outcome, including the points the MEDS label files leave out (null
/// <c>label</c>). MEDS label files may not carry extra columns, hence a table of our own.
/// </summary>
public static class StayOutcomeTable
{
    public const string SplitColumn = "split";
    public const string EncounterIdColumn = MedsSchema.EncounterIdColumn;
    public const string PredictionTimeColumn = MedsLabels.PredictionTimeColumn;
    public const string StayStartColumn = "stay_start";
    public const string StayEndColumn = "stay_end";
    public const string LengthOfStayColumn = "length_of_stay_days";
    public const string LabelColumn = "label";
    public const string OutcomeColumn = "outcome";
    public const string OutcomeCodeColumn = "outcome_code";
    public const string OutcomeTimeColumn = "outcome_time";

    /// <summary>The table's columns in file order.</summary>
    public static ParquetSchema Schema { get; } = new(
        new ParquetField(MedsSchema.SubjectIdColumn, ParquetType.Int64, Nullable: false),
        new ParquetField(SplitColumn, ParquetType.String, Nullable: false),
        new ParquetField(EncounterIdColumn, ParquetType.Int64),
        ParquetField.Timestamp(PredictionTimeColumn, nullable: false),
        ParquetField.Timestamp(StayStartColumn),
        ParquetField.Timestamp(StayEndColumn),
        new ParquetField(LengthOfStayColumn, ParquetType.Double),
        new ParquetField(LabelColumn, ParquetType.Boolean),
        new ParquetField(OutcomeColumn, ParquetType.String, Nullable: false),
        new ParquetField(OutcomeCodeColumn, ParquetType.String),
        ParquetField.Timestamp(OutcomeTimeColumn));

    public static void Write(string path, IReadOnlyList<StayOutcome> rows, ParquetWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var fields = Schema.Fields;
        ParquetColumn[] columns =
        [
            ParquetColumn.Create(fields[0], rows.Select(r => r.SubjectId).ToArray()),
            ParquetColumn.Create(fields[1], rows.Select(r => (string?)r.Split).ToArray()),
            Nullable(fields[2], rows.Select(r => r.EncounterId)),
            ParquetColumn.Create(fields[3], rows.Select(r => MedsTime.ToMicroseconds(r.PredictionTime)).ToArray()),
            Nullable(fields[4], rows.Select(r => Micros(r.StayStart))),
            Nullable(fields[5], rows.Select(r => Micros(r.StayEnd))),
            Nullable(fields[6], rows.Select(r => r.LengthOfStay?.TotalDays)),
            Nullable(fields[7], rows.Select(r => r.Outcome.Label)),
            ParquetColumn.Create(fields[8], rows.Select(r => (string?)r.Outcome.KindName).ToArray()),
            ParquetColumn.Create(fields[9], rows.Select(r => r.Outcome.Code).ToArray()),
            Nullable(fields[10], rows.Select(r => Micros(r.PredictionTime + r.Outcome.Elapsed))),
        ];
        using var writer = ParquetFileWriter.CreateOwnerOnly(path, Schema, options);
        if (rows.Count > 0)
            writer.WriteRowGroup(columns);
    }

    /// <summary>Reads a table this class wrote (evaluation and tests).</summary>
    public static IReadOnlyList<StayOutcome> Read(string path, ParquetReaderOptions? options = null)
    {
        using var reader = ParquetFileReader.Open(path, options);
        var rows = new List<StayOutcome>(checked((int)reader.RowCount));
        foreach (var group in reader.ReadRowGroups())
        {
            var subjects = group[MedsSchema.SubjectIdColumn].As<long>();
            var splits = group[SplitColumn].As<string?>();
            var predictionTimes = group[PredictionTimeColumn].As<long>();
            var kinds = group[OutcomeColumn].As<string?>();
            var codes = group[OutcomeCodeColumn].As<string?>();
            for (var i = 0; i < group.RowCount; i++)
            {
                var predictionTime = Time(predictionTimes[i]);
                var outcomeTime = TimeAt(group[OutcomeTimeColumn], i);
                var outcome = new TaskOutcome(TaskOutcome.ParseKind(kinds[i] ?? ""), ValueAt<bool>(group[LabelColumn], i), outcomeTime - predictionTime, codes[i]);
                rows.Add(new StayOutcome(subjects[i], splits[i] ?? "", ValueAt<long>(group[EncounterIdColumn], i), predictionTime,
                    TimeAt(group[StayStartColumn], i), TimeAt(group[StayEndColumn], i), outcome));
            }
        }
        return rows;
    }

    private static long? Micros(DateTime? time) => time is { } value ? MedsTime.ToMicroseconds(value) : null;

    private static DateTime Time(long micros) =>
        MedsTime.TryFromMicroseconds(micros, out var time) ? time : throw new MedsFormatException(
            Core.Issue.Error(MedsIssueCodes.TimeOutOfRange, "stays table", $"Time {micros} µs since 1970 is outside years 1..9999."));

    private static DateTime? TimeAt(ParquetColumn column, int row) => ValueAt<long>(column, row) is { } micros ? Time(micros) : null;

    private static T? ValueAt<T>(ParquetColumn column, int row) where T : struct =>
        column.Validity is { } present && !present[row] ? null : column.As<T>()[row];

    private static ParquetColumn Nullable<T>(ParquetField field, IEnumerable<T?> values) where T : struct
    {
        var array = values.ToArray();
        return ParquetColumn.Create(field, array.Select(v => v.GetValueOrDefault()).ToArray(), array.Select(v => v.HasValue).ToArray());
    }
}
