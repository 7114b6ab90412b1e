using FhirRisk.Core;
using FhirRisk.Meds.Internal;
using FhirRisk.Parquet;

namespace FhirRisk.Meds;

/// <summary>
/// Reads a MEDS dataset folder (ours or another tool's, v0.3.3 or v0.4): metadata, splits, shards, and the events,
/// streamed one row group at a time. Bad data raises <see cref="MedsFormatException"/> (or <see cref="ParquetException"/>
/// for a corrupt file); <see cref="MedsValidator"/> lists every problem instead.
/// </summary>
public sealed class MedsDatasetReader
{
    private readonly ParquetReaderOptions? _parquetOptions;

    private MedsDatasetReader(string root, ParquetReaderOptions? parquetOptions)
    {
        Root = root;
        _parquetOptions = parquetOptions;
        Shards = ShardDiscovery.Find(root);
        Metadata = ReadMetadata(root);
        SubjectSplits = ReadSubjectSplits(root, parquetOptions);
        SplitNames = SubjectSplits.Values.Concat(Shards.Select(s => s.Split))
            .Where(s => s.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Order(Comparer<string>.Create(MedsSchema.CompareSplits))
            .ToArray();
    }

    public string Root { get; }

    /// <summary><c>metadata/dataset.json</c>, or null when the dataset has none.</summary>
    public MedsDatasetMetadata? Metadata { get; }

    /// <summary>Event shards in reading order (train, tuning, held_out, others; numbered files in numeric order).</summary>
    public IReadOnlyList<MedsShard> Shards { get; }

    /// <summary>Subject → split from <c>metadata/subject_splits.parquet</c> (empty when the file is missing).</summary>
    public IReadOnlyDictionary<long, string> SubjectSplits { get; }

    /// <summary>Every split named in <c>subject_splits.parquet</c> or by a shard folder, even one with no shards.</summary>
    public IReadOnlyList<string> SplitNames { get; }

    /// <summary>Opens the dataset at <paramref name="root"/>; throws <see cref="DirectoryNotFoundException"/> when absent.</summary>
    public static MedsDatasetReader Open(string root, ParquetReaderOptions? parquetOptions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"MEDS dataset folder '{root}' does not exist.");
        return new MedsDatasetReader(Path.GetFullPath(root), parquetOptions);
    }

    /// <summary>The shards of one split; empty when the split has none (e.g. MIMIC-IV demo's missing train shard).</summary>
    public IReadOnlyList<MedsShard> ShardsOf(string split) => Shards.Where(s => s.Split == split).ToArray();

    /// <summary>Rows of <c>metadata/codes.parquet</c>; empty when the file is missing.</summary>
    public IReadOnlyList<MedsCodeMetadata> ReadCodes()
    {
        var path = Path.Combine(Root, MedsSchema.CodesFile);
        if (!File.Exists(path))
            return [];
        var issues = new List<Issue>();
        var codes = CodesTable.Read(path, MedsSchema.CodesFile, issues, _parquetOptions);
        ColumnRules.ThrowOnError(issues);
        return codes;
    }

    /// <summary>Every event, shard by shard in stored order.</summary>
    public IEnumerable<MedsEvent> ReadEvents(MedsReadOptions? options = null)
    {
        options ??= MedsReadOptions.Default;
        foreach (var shard in SelectShards(options))
        {
            foreach (var ev in ReadShard(shard, options))
                yield return ev;
        }
    }

    /// <summary>
    /// Each subject's events, grouping consecutive rows with the same <c>subject_id</c>. A subject may span row groups;
    /// memory holds one row group plus one subject.
    /// </summary>
    public IEnumerable<MedsSubject> ReadSubjects(MedsReadOptions? options = null)
    {
        options ??= MedsReadOptions.Default;
        foreach (var shard in SelectShards(options))
        {
            List<MedsEvent>? events = null;
            var finished = new HashSet<long>();
            foreach (var ev in ReadShard(shard, options))
            {
                if (events is not null && events[0].SubjectId != ev.SubjectId)
                {
                    yield return new MedsSubject(events[0].SubjectId, SplitOf(shard, events[0].SubjectId), events);
                    finished.Add(events[0].SubjectId);
                    events = null;
                }
                // A subject whose rows resume after another subject's would become two timelines; refuse it.
                if (events is null && finished.Contains(ev.SubjectId))
                    throw new MedsFormatException(Issue.Error(MedsIssueCodes.SubjectNotContiguous, shard.RelativePath,
                        $"Subject {ev.SubjectId} appears again after other subjects; MEDS keeps a subject's rows contiguous."));
                (events ??= []).Add(ev);
            }
            if (events is not null)
                yield return new MedsSubject(events[0].SubjectId, SplitOf(shard, events[0].SubjectId), events);
        }
    }

    /// <summary>Every event of one shard, unfiltered.</summary>
    public IEnumerable<MedsEvent> ReadShard(MedsShard shard, MedsEventColumns columns = MedsEventColumns.All)
    {
        ArgumentNullException.ThrowIfNull(shard);
        return ReadShard(shard, new MedsReadOptions { Columns = columns });
    }

    private IEnumerable<MedsEvent> ReadShard(MedsShard shard, MedsReadOptions options)
    {
        foreach (var (batch, firstRow) in ShardEventReader.ReadBatches(shard, options.Columns, _parquetOptions))
        {
            for (var row = 0; row < batch.RowCount; row++)
            {
                var ev = ShardEventReader.ToEvent(batch, row, shard, firstRow);
                if (IsWanted(shard, ev.SubjectId, options))
                    yield return ev;
            }
        }
    }

    // A shard lying directly in data/ has no split folder; its subjects are filtered by subject_splits instead.
    private IEnumerable<MedsShard> SelectShards(MedsReadOptions options) =>
        options.Splits is null ? Shards : Shards.Where(s => s.Split.Length == 0 || options.Splits.Contains(s.Split));

    private bool IsWanted(MedsShard shard, long subjectId, MedsReadOptions options) =>
        options.Splits is null || shard.Split.Length > 0 || options.Splits.Contains(SplitOf(shard, subjectId));

    private string SplitOf(MedsShard shard, long subjectId) =>
        shard.Split.Length > 0 ? shard.Split : SubjectSplits.GetValueOrDefault(subjectId, "");

    private static MedsDatasetMetadata? ReadMetadata(string root)
    {
        var path = Path.Combine(root, MedsSchema.DatasetMetadataFile);
        return File.Exists(path) ? MedsDatasetMetadata.Read(path) : null;
    }

    private static Dictionary<long, string> ReadSubjectSplits(string root, ParquetReaderOptions? options)
    {
        var path = Path.Combine(root, MedsSchema.SubjectSplitsFile);
        var splits = new Dictionary<long, string>();
        if (!File.Exists(path))
            return splits;
        var issues = new List<Issue>();
        var entries = SubjectSplitsTable.Read(path, MedsSchema.SubjectSplitsFile, issues, options);
        ColumnRules.ThrowOnError(issues);
        foreach (var entry in entries)
            splits[entry.SubjectId] = entry.Split;
        return splits;
    }
}
