using FhirRisk.Meds;
using FhirRisk.Parquet;

namespace FhirRisk.Synthetic.Tests;

/// <summary>Variants of the MEDS sample (<see cref="GenerationModel.Dataset"/>) that the model was not fitted on as they
/// are: fewer patients, a patient added, a split missing, rows out of order.</summary>
internal static class SampleVariants
{
    /// <summary>Rewrites the sample into <paramref name="root"/> with the subjects <paramref name="keep"/> accepts, each in
    /// its split, and <paramref name="added"/> (sorted by the writer).</summary>
    public static string Rewrite(string root, Func<MedsSubject, bool> keep, params (string Split, MedsEvent[] Events)[] added)
    {
        using var writer = new MedsDatasetWriter(root);
        foreach (var subject in MedsDatasetReader.Open(GenerationModel.Dataset).ReadSubjects().Where(keep))
            writer.WriteSubject(subject.SubjectId, subject.Events, subject.Split);
        foreach (var (split, events) in added)
            writer.WriteSubject(events[0].SubjectId, events, split);
        writer.Complete();
        return root;
    }

    /// <summary>Copies the sample file by file into <paramref name="root"/>.</summary>
    public static string Copy(string root)
    {
        foreach (var file in Directory.GetFiles(GenerationModel.Dataset, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(root, Path.GetRelativePath(GenerationModel.Dataset, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return root;
    }

    /// <summary>Writes one event shard with the rows in the order given (<see cref="MedsDatasetWriter"/> would sort them).</summary>
    public static void WriteRawShard(string path, params MedsEvent[] rows)
    {
        var fields = MedsSchema.Data.Fields;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = ParquetFileWriter.Create(path, MedsSchema.Data);
        writer.WriteRowGroup(
        [
            ParquetColumn.Create(fields[0], rows.Select(r => r.SubjectId).ToArray()),
            ParquetColumn.Create(fields[1], rows.Select(r => r.Time is { } t ? (t - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond : 0).ToArray(), rows.Select(r => r.Time is not null).ToArray()),
            ParquetColumn.Create(fields[2], rows.Select(r => (string?)r.Code).ToArray()),
            ParquetColumn.Create(fields[3], rows.Select(r => r.NumericValue ?? 0).ToArray(), rows.Select(r => r.NumericValue is not null).ToArray()),
            ParquetColumn.Create(fields[4], new string?[rows.Length]),
            ParquetColumn.Create(fields[5], new long[rows.Length], new bool[rows.Length]),
        ]);
    }
}
