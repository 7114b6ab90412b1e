using FhirRisk.Meds;
using FhirRisk.Parquet;

namespace FhirRisk.Tokenizer.Tests;

/// <summary>Small MEDS datasets written with <see cref="MedsDatasetWriter"/> for exact expectations.</summary>
internal static class SmallDatasets
{
    public static readonly DateTime Start = new(2020, 1, 1, 8, 0, 0);

    /// <summary>Writes the subjects (all in <paramref name="split"/>) and opens the dataset.</summary>
    public static MedsDatasetReader Write(string root, IEnumerable<MedsEvent[]> subjects, string split = MedsSchema.TrainSplit)
    {
        using (var writer = new MedsDatasetWriter(root))
        {
            foreach (var events in subjects)
                writer.WriteSubject(events[0].SubjectId, events, split);
            writer.Complete();
        }
        return MedsDatasetReader.Open(root);
    }

    /// <summary>Replaces <c>subject_splits.parquet</c>, e.g. with a listing the shard folders disagree with.</summary>
    public static void WriteSubjectSplits(string root, params (long SubjectId, string Split)[] entries)
    {
        var fields = MedsSchema.SubjectSplits.Fields;
        WriteParquet(Path.Combine(root, MedsSchema.SubjectSplitsFile), MedsSchema.SubjectSplits,
        [
            ParquetColumn.Create(fields[0], entries.Select(e => e.SubjectId).ToArray()),
            ParquetColumn.Create(fields[1], entries.Select(e => (string?)e.Split).ToArray()),
        ]);
    }

    /// <summary>Writes one event shard with the rows in the order given (<see cref="MedsDatasetWriter"/> would sort them).</summary>
    public static void WriteRawShard(string root, string relativePath, params MedsEvent[] rows)
    {
        var fields = MedsSchema.Data.Fields;
        var timed = rows.Select(r => r.Time is not null).ToArray();
        WriteParquet(Path.Combine(root, relativePath), MedsSchema.Data,
        [
            ParquetColumn.Create(fields[0], rows.Select(r => r.SubjectId).ToArray()),
            ParquetColumn.Create(fields[1], rows.Select(r => r.Time is { } t ? (t - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond : 0).ToArray(), timed),
            ParquetColumn.Create(fields[2], rows.Select(r => (string?)r.Code).ToArray()),
            ParquetColumn.Create(fields[3], rows.Select(r => r.NumericValue ?? 0).ToArray(), rows.Select(r => r.NumericValue is not null).ToArray()),
            ParquetColumn.Create(fields[4], new string?[rows.Length]),
            ParquetColumn.Create(fields[5], new long[rows.Length], new bool[rows.Length]),
        ]);
    }

    private static void WriteParquet(string path, ParquetSchema schema, IReadOnlyList<ParquetColumn> columns)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        using var writer = ParquetFileWriter.Create(path, schema);
        writer.WriteRowGroup(columns);
    }

    public static MedsEvent At(long subject, TimeSpan offset, string code, float? value = null) => new(subject, Start + offset, code, value);

    public static MedsEvent Static(long subject, string code) => new(subject, null, code);
}
