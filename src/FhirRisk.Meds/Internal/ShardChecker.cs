using FhirRisk.Core;
using FhirRisk.Parquet;

namespace FhirRisk.Meds.Internal;

/// <summary>
/// Checks event shards one row group at a time (peers.md §5.2): schema, null ids and codes, per-subject order (static
/// rows first, times non-decreasing), contiguity within a shard, and one shard per subject across the dataset. Keeps
/// where each subject and code was first seen for the cross-file checks that follow.
/// </summary>
internal sealed class ShardChecker
{
    private static readonly MedsEventColumns s_columns = MedsEventColumns.Time | MedsEventColumns.Code;
    private readonly IssueCollector _issues;
    private readonly ParquetReaderOptions? _options;
    private readonly List<MedsShard> _shards = [];

    public ShardChecker(IssueCollector issues, ParquetReaderOptions? options)
    {
        _issues = issues;
        _options = options;
    }

    /// <summary>Where each subject first appears: shard index in <see cref="Shards"/> and row.</summary>
    public Dictionary<long, (int Shard, long Row)> Subjects { get; } = [];

    /// <summary>Each distinct code and the row path where it first appears.</summary>
    public Dictionary<string, string> Codes { get; } = new(StringComparer.Ordinal);

    /// <summary>Shards that could be opened and had a usable schema.</summary>
    public IReadOnlyList<MedsShard> Shards => _shards;

    public void Check(MedsShard shard)
    {
        using var reader = ParquetFileReader.Open(shard.FullPath, _options);
        var schemaIssues = new List<Issue>();
        var layout = EventColumnLayout.Resolve(reader.Schema, shard.RelativePath, schemaIssues);
        _issues.AddRange(schemaIssues);
        if (layout is null)
            return;
        _shards.Add(shard);
        var state = new SubjectState(_shards.Count - 1, shard);
        var columns = layout.ColumnsToRead(s_columns);
        long firstRow = 0;
        for (var group = 0; group < reader.RowGroupCount; group++)
        {
            var batch = EventBatch.Decode(reader.ReadRowGroup(group, columns), layout);
            for (var i = 0; i < batch.RowCount; i++)
                CheckRow(batch, i, firstRow + i, state);
            firstRow += batch.RowCount;
        }
    }

    private void CheckRow(EventBatch batch, int i, long row, SubjectState state)
    {
        if (!batch.HasSubjectId(i))
        {
            _issues.Add(Issue.Error(MedsIssueCodes.NullSubjectId, Path(state, row), "Null subject_id."));
            return;
        }
        var subjectId = batch.SubjectIds[i];
        if (!state.HasCurrent || state.Current != subjectId)
            StartSubject(subjectId, row, state);

        if (batch.Codes![i] is not { } code)
            _issues.Add(Issue.Error(MedsIssueCodes.NullCode, Path(state, row), "Null code."));
        else if (!Codes.ContainsKey(code))
            Codes.Add(code, Path(state, row));

        if (!batch.HasTime(i))
        {
            if (state.SawTimed)
                _issues.Add(Issue.Error(MedsIssueCodes.StaticAfterTimed, Path(state, row),
                    $"Subject {subjectId} has a static (null-time) row after timed rows; static rows come first."));
            return;
        }
        var time = batch.TimeMicros![i];
        if (!MedsTime.TryFromMicroseconds(time, out _))
            _issues.Add(Issue.Error(MedsIssueCodes.TimeOutOfRange, Path(state, row), $"Time {time} µs since 1970 is outside years 1..9999."));
        if (state.SawTimed && time < state.LastTime)
            _issues.Add(Issue.Error(MedsIssueCodes.TimesUnsorted, Path(state, row),
                $"Subject {subjectId}: time goes back from {Format(state.LastTime)} to {Format(time)}."));
        state.SawTimed = true;
        state.LastTime = time;
    }

    private void StartSubject(long subjectId, long row, SubjectState state)
    {
        state.HasCurrent = true;
        state.Current = subjectId;
        state.SawTimed = false;
        if (!state.SeenInShard.Add(subjectId))
        {
            _issues.Add(Issue.Error(MedsIssueCodes.SubjectNotContiguous, Path(state, row),
                $"Subject {subjectId} appears again after other subjects; a subject's rows must be contiguous."));
            return;
        }
        if (Subjects.TryGetValue(subjectId, out var first))
            _issues.Add(Issue.Error(MedsIssueCodes.SubjectInSeveralShards, Path(state, row),
                $"Subject {subjectId} is also in {_shards[first.Shard].RelativePath}; a subject must be in exactly one shard."));
        else
            Subjects.Add(subjectId, (state.ShardIndex, row));
    }

    private static string Path(SubjectState state, long row) => $"{state.Shard.RelativePath}:row {row}";

    private static string Format(long micros) =>
        MedsTime.TryFromMicroseconds(micros, out var time) ? time.ToString("yyyy-MM-dd HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture) : $"{micros} µs";

    private sealed class SubjectState(int shardIndex, MedsShard shard)
    {
        public int ShardIndex { get; } = shardIndex;

        public MedsShard Shard { get; } = shard;

        public HashSet<long> SeenInShard { get; } = [];

        public bool HasCurrent { get; set; }

        public long Current { get; set; }

        public bool SawTimed { get; set; }

        public long LastTime { get; set; }
    }
}
