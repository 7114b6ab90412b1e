using FhirRisk.Parquet;

namespace FhirRisk.Training.Evaluation;

/// <summary>The columns of a predictions file as found in one file's schema, and decoding of its row groups.</summary>
internal sealed class PredictionColumns
{
    private readonly TimestampUnit _timeUnit;
    private readonly bool _fewShot;

    private PredictionColumns(TimestampUnit timeUnit, bool fewShot, IReadOnlyList<string> names)
    {
        _timeUnit = timeUnit;
        _fewShot = fewShot;
        Names = names;
    }

    public IReadOnlyList<string> Names { get; }

    public static PredictionColumns Resolve(ParquetSchema schema, string path)
    {
        Require(schema, PredictionsFile.SubjectIdColumn, path, ParquetType.Int64);
        var time = Require(schema, PredictionsFile.PredictionTimeColumn, path, ParquetType.Timestamp);
        Require(schema, PredictionsFile.TaskColumn, path, ParquetType.String);
        Require(schema, PredictionsFile.MethodColumn, path, ParquetType.String);
        Require(schema, PredictionsFile.ProbabilityColumn, path, ParquetType.Double, ParquetType.Float);
        Require(schema, PredictionsFile.LabelColumn, path, ParquetType.Boolean);
        var names = new List<string>
        {
            PredictionsFile.SubjectIdColumn, PredictionsFile.PredictionTimeColumn, PredictionsFile.TaskColumn,
            PredictionsFile.MethodColumn, PredictionsFile.ProbabilityColumn, PredictionsFile.LabelColumn,
        };
        var fewShot = schema.Contains(PredictionsFile.KShotColumn) || schema.Contains(PredictionsFile.ReplicateColumn);
        if (fewShot)
        {
            Require(schema, PredictionsFile.KShotColumn, path, ParquetType.Int32, ParquetType.Int64);
            Require(schema, PredictionsFile.ReplicateColumn, path, ParquetType.Int32, ParquetType.Int64);
            names.Add(PredictionsFile.KShotColumn);
            names.Add(PredictionsFile.ReplicateColumn);
        }
        return new PredictionColumns(time.TimestampUnit, fewShot, names);
    }

    public void Decode(ParquetRowGroup group, string path, long firstRow, List<Prediction> rows)
    {
        var subject = group[PredictionsFile.SubjectIdColumn];
        var time = group[PredictionsFile.PredictionTimeColumn];
        var task = group[PredictionsFile.TaskColumn].As<string?>();
        var method = group[PredictionsFile.MethodColumn].As<string?>();
        var probability = group[PredictionsFile.ProbabilityColumn];
        var label = group[PredictionsFile.LabelColumn];
        for (var i = 0; i < group.RowCount; i++)
        {
            var rowPath = $"{path}:row {firstRow + i}";
            if (IsMissing(subject, i) || IsMissing(time, i) || task[i] is null || method[i] is null || IsMissing(probability, i) || IsMissing(label, i))
                throw PredictionsFile.Fail(EvaluationIssueCodes.Value, rowPath, "A required value is null (subject_id, prediction_time, task, method, probability and label are required).");
            var predictionTime = PredictionTimes.FromStored(time.As<long>()[i], _timeUnit)
                ?? throw PredictionsFile.Fail(EvaluationIssueCodes.Value, rowPath, "prediction_time is outside the years 1–9999.");
            var prediction = new Prediction(subject.As<long>()[i], predictionTime, task[i]!, method[i]!, ProbabilityAt(probability, i), label.As<bool>()[i],
                _fewShot ? IntAt(group[PredictionsFile.KShotColumn], i, rowPath) : null,
                _fewShot ? IntAt(group[PredictionsFile.ReplicateColumn], i, rowPath) : null);
            PredictionsFile.CheckRow(prediction, rowPath);
            rows.Add(prediction);
        }
    }

    private static ParquetField Require(ParquetSchema schema, string name, string path, params ParquetType[] types)
    {
        if (!schema.Contains(name))
        {
            var why = schema.UnsupportedFields.TryGetValue(name, out var reason) ? $" ({reason})" : "";
            throw PredictionsFile.Fail(EvaluationIssueCodes.Schema, path, $"Column '{name}' is missing{why}; a predictions file has subject_id, prediction_time, task, method, probability, label (docs/formats/predictions.md).");
        }
        var field = schema[name];
        if (field.IsList || !types.Contains(field.Type))
            throw PredictionsFile.Fail(EvaluationIssueCodes.Schema, path, $"Column '{name}' is {field.Type}{(field.IsList ? " list" : "")}; expected {string.Join(" or ", types)}.");
        return field;
    }

    private static double ProbabilityAt(ParquetColumn column, int row) =>
        column.Field.Type == ParquetType.Float ? column.As<float>()[row] : column.As<double>()[row];

    private static int? IntAt(ParquetColumn column, int row, string rowPath)
    {
        if (IsMissing(column, row))
            return null;
        if (column.Field.Type != ParquetType.Int64)
            return column.As<int>()[row];
        var value = column.As<long>()[row];
        return value is >= int.MinValue and <= int.MaxValue ? (int)value
            : throw PredictionsFile.Fail(EvaluationIssueCodes.Value, rowPath, $"{column.Field.Name} {value} is beyond the 32-bit range a k or a replicate number can take.");
    }

    // Value-typed columns mark nulls in Validity; ParquetColumn.IsNull would box every value.
    private static bool IsMissing(ParquetColumn column, int row) => column.Validity is { } present && !present[row];
}
