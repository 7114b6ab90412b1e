using System.Globalization;
using FhirRisk.Core;
using FhirRisk.Parquet;

namespace FhirRisk.Training.Evaluation;

/// <summary>
/// Reads and writes predictions files: one Parquet row per (task, method, point), docs/formats/predictions.md. Any
/// tool may write one (a Python script evaluating a peer model, say); the reader checks every column and value and
/// throws <see cref="EvaluationInputException"/> naming the file and row.
/// </summary>
public static class PredictionsFile
{
    public const string SubjectIdColumn = "subject_id";
    public const string PredictionTimeColumn = "prediction_time";
    public const string TaskColumn = "task";
    public const string MethodColumn = "method";
    public const string ProbabilityColumn = "probability";
    public const string LabelColumn = "label";
    public const string KShotColumn = "k_shot";
    public const string ReplicateColumn = "replicate";

    /// <summary>Key-value metadata naming the format version; optional on read, so hand-made files are accepted.</summary>
    public const string VersionKey = "fhirrisk.predictions.version";

    public const int Version = 1;

    /// <summary>Writes <paramref name="predictions"/> in one row group; the few-shot columns only when a row has a k.</summary>
    public static void Write(string path, IReadOnlyList<Prediction> predictions, ParquetWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        foreach (var p in predictions)
            CheckRow(p, path);
        var columns = new List<ParquetColumn>
        {
            ParquetColumn.Create(new ParquetField(SubjectIdColumn, ParquetType.Int64, Nullable: false), predictions.Select(p => p.SubjectId).ToArray()),
            ParquetColumn.Create(ParquetField.Timestamp(PredictionTimeColumn, nullable: false), predictions.Select(p => PredictionTimes.ToMicroseconds(p.PredictionTime)).ToArray()),
            ParquetColumn.Create(new ParquetField(TaskColumn, ParquetType.String, Nullable: false), predictions.Select(p => (string?)p.Task).ToArray()),
            ParquetColumn.Create(new ParquetField(MethodColumn, ParquetType.String, Nullable: false), predictions.Select(p => (string?)p.Method).ToArray()),
            ParquetColumn.Create(new ParquetField(ProbabilityColumn, ParquetType.Double, Nullable: false), predictions.Select(p => p.Probability).ToArray()),
            ParquetColumn.Create(new ParquetField(LabelColumn, ParquetType.Boolean, Nullable: false), predictions.Select(p => p.Label).ToArray()),
        };
        if (predictions.Any(p => p.KShot is not null))
        {
            columns.Add(NullableInts(KShotColumn, predictions.Select(p => p.KShot)));
            columns.Add(NullableInts(ReplicateColumn, predictions.Select(p => p.Replicate)));
        }
        // One row per patient and prediction time: created 0600, as the label files are (CLI review s10 #13).
        using var writer = ParquetFileWriter.CreateOwnerOnly(path, new ParquetSchema(columns.Select(c => c.Field)), options);
        writer.SetMetadata(VersionKey, Version.ToString(CultureInfo.InvariantCulture));
        if (predictions.Count > 0)
            writer.WriteRowGroup(columns);
    }

    /// <summary>Reads every row of one file.</summary>
    public static IReadOnlyList<Prediction> Read(string path, ParquetReaderOptions? options = null)
    {
        using var reader = ParquetFileReader.Open(path, options);
        var name = Path.GetFileName(path);
        if (reader.KeyValueMetadata.TryGetValue(VersionKey, out var version) && version != Version.ToString(CultureInfo.InvariantCulture))
            throw Fail(EvaluationIssueCodes.Version, name, $"Predictions format version {version}; this build reads version {Version}. Rewrite the file with this build.");
        var layout = PredictionColumns.Resolve(reader.Schema, name);
        var rows = new List<Prediction>(checked((int)reader.RowCount));
        long firstRow = 0;
        foreach (var group in reader.ReadRowGroups(layout.Names))
        {
            layout.Decode(group, name, firstRow, rows);
            firstRow += group.RowCount;
        }
        return rows;
    }

    internal static void CheckRow(Prediction p, string path)
    {
        if (!(p.Probability >= 0 && p.Probability <= 1))
            throw Fail(EvaluationIssueCodes.Value, path, $"Probability {p.Probability.ToString(CultureInfo.InvariantCulture)} for subject {p.SubjectId} ({p.Run}) is not in [0, 1].");
        if (string.IsNullOrEmpty(p.Task) || string.IsNullOrEmpty(p.Method))
            throw Fail(EvaluationIssueCodes.Value, path, $"Subject {p.SubjectId}: task and method must be non-empty.");
        if ((p.KShot is null) != (p.Replicate is null) || p.KShot < 1 || p.Replicate < 0)
            throw Fail(EvaluationIssueCodes.Value, path, $"Subject {p.SubjectId} ({p.Task}/{p.Method}): k_shot ≥ 1 and replicate ≥ 0 come together, or neither.");
    }

    internal static EvaluationInputException Fail(string code, string path, string message) => new(Issue.Error(code, path, message));

    private static ParquetColumn NullableInts(string name, IEnumerable<int?> values)
    {
        var array = values.ToArray();
        return ParquetColumn.Create(new ParquetField(name, ParquetType.Int32), array.Select(v => v.GetValueOrDefault()).ToArray(), array.Select(v => v.HasValue).ToArray());
    }
}
