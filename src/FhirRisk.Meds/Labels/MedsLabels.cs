using FhirRisk.Core;
using FhirRisk.Meds.Internal;
using FhirRisk.Parquet;

namespace FhirRisk.Meds;

/// <summary>
/// Reads and writes label files in the MEDS label schema. Writing stores each value column (<c>boolean_value</c>,
/// <c>integer_value</c>, <c>float_value</c>, <c>categorical_value</c>) only when some label has it, so an integer-valued
/// task has no all-null <c>boolean_value</c>; a column is REQUIRED unless a label lacks its value (v0.4 declares the
/// value columns non-nullable). Reading accepts v0.3.3 files (float64 <c>float_value</c>) and ignores extra columns.
/// </summary>
public static class MedsLabels
{
    public const string PredictionTimeColumn = "prediction_time";
    public const string BooleanValueColumn = "boolean_value";
    public const string IntegerValueColumn = "integer_value";
    public const string FloatValueColumn = "float_value";
    public const string CategoricalValueColumn = "categorical_value";

    public static void Write(string path, IReadOnlyList<MedsLabel> labels, ParquetWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var count = labels.Count;
        foreach (var label in labels)
        {
            if (label.BooleanValue is null && label.IntegerValue is null && label.FloatValue is null && label.CategoricalValue is null)
                throw new ArgumentException($"Label for subject {label.SubjectId} at {label.PredictionTime:O} has no value; a MEDS label needs one.", nameof(labels));
        }
        var columns = new List<ParquetColumn>(6)
        {
            ParquetColumn.Create(new ParquetField(MedsSchema.SubjectIdColumn, ParquetType.Int64, Nullable: false), labels.Select(l => l.SubjectId).ToArray()),
            ParquetColumn.Create(ParquetField.Timestamp(PredictionTimeColumn, nullable: false), labels.Select(l => MedsTime.ToMicroseconds(l.PredictionTime)).ToArray()),
        };
        AddValueColumn(columns, BooleanValueColumn, ParquetType.Boolean, labels.Select(l => l.BooleanValue).ToArray());
        AddValueColumn(columns, IntegerValueColumn, ParquetType.Int64, labels.Select(l => l.IntegerValue).ToArray());
        AddValueColumn(columns, FloatValueColumn, ParquetType.Float, labels.Select(l => l.FloatValue).ToArray());
        var categories = labels.Select(l => l.CategoricalValue).ToArray();
        if (categories.Any(c => c is not null))
            columns.Add(ParquetColumn.Create(new ParquetField(CategoricalValueColumn, ParquetType.String, Nullable: categories.Any(c => c is null)), categories));

        using var writer = ParquetFileWriter.CreateOwnerOnly(path, new ParquetSchema(columns.Select(c => c.Field)), options);
        if (count > 0)
            writer.WriteRowGroup(columns);
    }

    /// <summary>Reads one label file; throws <see cref="MedsFormatException"/> when it does not follow the label schema.</summary>
    public static IReadOnlyList<MedsLabel> Read(string path, ParquetReaderOptions? options = null)
    {
        using var reader = ParquetFileReader.Open(path, options);
        var display = Path.GetFileName(path);
        var layout = LabelColumnLayout.Resolve(reader.Schema, display);
        var labels = new List<MedsLabel>(checked((int)reader.RowCount));
        long firstRow = 0;
        foreach (var group in reader.ReadRowGroups(layout.Columns))
        {
            layout.Decode(group, display, firstRow, labels);
            firstRow += group.RowCount;
        }
        return labels;
    }

    /// <summary>Reads every <c>*.parquet</c> under a task folder (MEDS: <c>$TASK_ROOT/$TASK_NAME/**/*.parquet</c>) in path order.</summary>
    public static IReadOnlyList<MedsLabel> ReadTask(string taskFolder, ParquetReaderOptions? options = null)
    {
        var files = Directory.EnumerateFiles(taskFolder, "*.parquet", SearchOption.AllDirectories)
            .Order(NaturalStringComparer.Instance);
        return files.SelectMany(f => Read(f, options)).ToArray();
    }

    private static void AddValueColumn<T>(List<ParquetColumn> columns, string name, ParquetType type, T?[] values)
        where T : struct
    {
        var present = values.Select(v => v.HasValue).ToArray();
        var anyMissing = present.Contains(false);
        if (!present.Contains(true))
            return;
        var field = new ParquetField(name, type, Nullable: anyMissing);
        columns.Add(ParquetColumn.Create(field, values.Select(v => v.GetValueOrDefault()).ToArray(), anyMissing ? present : null));
    }
}
