using FhirRisk.Parquet;

namespace FhirRisk.Meds.Tests;

/// <summary>One hand-made event row (times in MEDS microseconds), for datasets our writer would refuse to produce.</summary>
internal readonly record struct RawRow(long? SubjectId, long? TimeMicros, string? Code);

/// <summary>
/// Builds deliberately broken datasets in a temp folder: valid metadata (dataset.json, codes.parquet listing every code
/// it is told about, subject_splits.parquet) plus raw shards written straight through <see cref="ParquetFileWriter"/>.
/// </summary>
internal sealed class RawDataset
{
    public static readonly ParquetSchema OptionalColumns = new(
        new ParquetField("subject_id", ParquetType.Int64),
        ParquetField.Timestamp("time"),
        new ParquetField("code", ParquetType.String));

    public RawDataset(string root) => Root = root;

    public string Root { get; }

    public static long Micros(int day, int hour = 0) => (new DateTime(2020, 1, day, hour, 0, 0) - DateTime.UnixEpoch).Ticks / 10;

    public RawDataset WithMetadata(IEnumerable<string> codes, IEnumerable<(long SubjectId, string Split)> splits, string medsVersion = "0.4")
    {
        Directory.CreateDirectory(Path.Combine(Root, "metadata"));
        File.WriteAllText(Path.Combine(Root, MedsSchema.DatasetMetadataFile), new MedsDatasetMetadata { DatasetName = "broken", MedsVersion = medsVersion }.ToJson());
        var names = codes.Select(c => (string?)c).ToArray();
        Write(MedsSchema.CodesFile, new ParquetSchema(new ParquetField("code", ParquetType.String)), [ParquetColumn.Create(new ParquetField("code", ParquetType.String), names)]);
        var entries = splits.ToArray();
        Write(MedsSchema.SubjectSplitsFile, MedsSchema.SubjectSplits,
        [
            ParquetColumn.Create(MedsSchema.SubjectSplits.Fields[0], entries.Select(e => e.SubjectId).ToArray()),
            ParquetColumn.Create(MedsSchema.SubjectSplits.Fields[1], entries.Select(e => (string?)e.Split).ToArray()),
        ]);
        return this;
    }

    /// <summary>Writes rows with every column OPTIONAL, as pyarrow and DuckDB do.</summary>
    public RawDataset WithShard(string relativePath, params RawRow[] rows)
    {
        var fields = OptionalColumns.Fields;
        Write(relativePath, OptionalColumns,
        [
            ParquetColumn.Create(fields[0], rows.Select(r => r.SubjectId ?? 0).ToArray(), rows.Select(r => r.SubjectId is not null).ToArray()),
            ParquetColumn.Create(fields[1], rows.Select(r => r.TimeMicros ?? 0).ToArray(), rows.Select(r => r.TimeMicros is not null).ToArray()),
            ParquetColumn.Create(fields[2], rows.Select(r => r.Code).ToArray()),
        ]);
        return this;
    }

    public RawDataset Write(string relativePath, ParquetSchema schema, IReadOnlyList<ParquetColumn> columns)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = ParquetFileWriter.Create(path, schema);
        writer.WriteRowGroup(columns);
        return this;
    }
}
