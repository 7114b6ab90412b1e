using FhirRisk.Core;
using FhirRisk.Parquet;

namespace FhirRisk.Meds.Internal;

/// <summary>Which label columns a file has and how to decode them into <see cref="MedsLabel"/>s.</summary>
internal sealed class LabelColumnLayout
{
    private LabelColumnLayout(TimestampUnit unit, List<string> columns)
    {
        TimeUnit = unit;
        Columns = columns;
    }

    public TimestampUnit TimeUnit { get; }

    public List<string> Columns { get; }

    public static LabelColumnLayout Resolve(ParquetSchema schema, string path)
    {
        var issues = new List<Issue>();
        ColumnRules.RequireScalar(schema, MedsSchema.SubjectIdColumn, ParquetType.Int64, path, issues);
        var time = ColumnRules.Required(schema, MedsLabels.PredictionTimeColumn, path, issues);
        if (time is not null)
            ColumnRules.CheckTimestamp(time, path, issues);
        var columns = new List<string> { MedsSchema.SubjectIdColumn, MedsLabels.PredictionTimeColumn };
        AddOptional(schema, MedsLabels.BooleanValueColumn, [ParquetType.Boolean], path, issues, columns);
        AddOptional(schema, MedsLabels.IntegerValueColumn, [ParquetType.Int64, ParquetType.Int32], path, issues, columns);
        AddOptional(schema, MedsLabels.FloatValueColumn, [ParquetType.Float, ParquetType.Double], path, issues, columns);
        AddOptional(schema, MedsLabels.CategoricalValueColumn, [ParquetType.String], path, issues, columns);
        ColumnRules.ThrowOnError(issues);
        return new LabelColumnLayout(time!.TimestampUnit, columns);
    }

    public void Decode(ParquetRowGroup group, string path, long firstRow, List<MedsLabel> labels)
    {
        var subject = group[MedsSchema.SubjectIdColumn];
        var time = group[MedsLabels.PredictionTimeColumn];
        var ids = subject.As<long>();
        var times = time.As<long>();
        group.TryGetColumn(MedsLabels.BooleanValueColumn, out var boolean);
        group.TryGetColumn(MedsLabels.IntegerValueColumn, out var integer);
        group.TryGetColumn(MedsLabels.FloatValueColumn, out var real);
        group.TryGetColumn(MedsLabels.CategoricalValueColumn, out var category);
        for (var i = 0; i < group.RowCount; i++)
        {
            var rowPath = $"{path}:row {firstRow + i}";
            if (IsMissing(subject, i))
                throw new MedsFormatException(Issue.Error(MedsIssueCodes.NullSubjectId, rowPath, "Null subject_id."));
            if (IsMissing(time, i))
                throw new MedsFormatException(Issue.Error(MedsIssueCodes.RequiredColumnMissing, rowPath, "Null prediction_time."));
            if (!MedsTime.TryFromMicroseconds(MedsTime.ToMicroseconds(times[i], TimeUnit), out var predictionTime))
                throw new MedsFormatException(Issue.Error(MedsIssueCodes.TimeOutOfRange, rowPath, "prediction_time is outside years 1..9999."));
            labels.Add(new MedsLabel(ids[i], predictionTime,
                boolean is null || IsMissing(boolean, i) ? null : boolean.As<bool>()[i],
                IntegerAt(integer, i),
                FloatAt(real, i),
                category?.As<string?>()[i]));
        }
    }

    private static long? IntegerAt(ParquetColumn? column, int row) =>
        column is null || IsMissing(column, row) ? null : column.Field.Type == ParquetType.Int32 ? column.As<int>()[row] : column.As<long>()[row];

    private static float? FloatAt(ParquetColumn? column, int row) =>
        column is null || IsMissing(column, row) ? null : column.Field.Type == ParquetType.Double ? (float)column.As<double>()[row] : column.As<float>()[row];

    // Value-typed columns mark nulls in Validity; ParquetColumn.IsNull would box every value.
    private static bool IsMissing(ParquetColumn column, int row) => column.Validity is { } present && !present[row];

    private static void AddOptional(ParquetSchema schema, string name, ParquetType[] allowed, string path, List<Issue> issues, List<string> columns)
    {
        var expected = new ParquetField(name, allowed[0]);
        if (ColumnRules.Optional(schema, expected, path, issues, out _) is not { } field)
            return;
        if (!field.IsList && allowed.Contains(field.Type))
            columns.Add(name);
        else
            issues.Add(ColumnRules.WrongType(field, ColumnRules.Describe(expected), path));
    }
}
