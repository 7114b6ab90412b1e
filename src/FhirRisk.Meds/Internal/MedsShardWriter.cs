using System.Globalization;
using FhirRisk.Parquet;

namespace FhirRisk.Meds.Internal;

/// <summary>
/// Writes the shards of one split, <c>data/&lt;split&gt;/0.parquet</c>, <c>1.parquet</c>, …: whole subjects only (MEDS: a
/// subject lives in exactly one shard), a new shard when the subject or row limit is reached, and a row group whenever
/// the buffer reaches <see cref="ParquetWriterOptions.RowGroupSize"/> rows.
/// </summary>
internal sealed class MedsShardWriter : IDisposable
{
    private readonly string _root;
    private readonly string _split;
    private readonly MedsDatasetWriterSettings _settings;
    private readonly EventColumnBuffer _buffer = new();
    private readonly List<string> _shards = [];
    private ParquetFileWriter? _file;
    private int _shardSubjects;
    private long _shardRows;

    public MedsShardWriter(string root, string split, MedsDatasetWriterSettings settings)
    {
        _root = root;
        _split = split;
        _settings = settings;
    }

    /// <summary>Shards started so far, relative to the dataset root.</summary>
    public IReadOnlyList<string> Shards => _shards;

    public long Rows { get; private set; }

    /// <summary>Appends one subject's events, already sorted by <see cref="SubjectEventSorter"/>.</summary>
    public void Append(ReadOnlySpan<MedsEvent> events, ReadOnlySpan<long> timeMicros)
    {
        if (_shardSubjects > 0 && (_shardSubjects >= _settings.MaxSubjectsPerShard || _shardRows + events.Length > _settings.MaxRowsPerShard))
            CloseShard();
        if (_shardSubjects == 0)
            _shards.Add($"{MedsSchema.DataFolder}/{_split}/{_shards.Count.ToString(CultureInfo.InvariantCulture)}.parquet");

        var rowGroupSize = _settings.ParquetOptions.RowGroupSize;
        for (var done = 0; done < events.Length;)
        {
            var take = Math.Min(events.Length - done, rowGroupSize - _buffer.Count);
            _buffer.AddRange(events.Slice(done, take), timeMicros.Slice(done, take));
            done += take;
            if (_buffer.Count >= rowGroupSize)
                FlushRowGroup();
        }
        _shardSubjects++;
        _shardRows += events.Length;
        Rows += events.Length;
    }

    public void Dispose() => CloseShard();

    private void FlushRowGroup()
    {
        if (_buffer.Count == 0)
            return;
        _file ??= OpenShardFile();
        _file.WriteRowGroup(_buffer.ToColumns());
        _buffer.Clear();
    }

    private void CloseShard()
    {
        if (_shardSubjects == 0)
            return;
        FlushRowGroup();
        _file?.Dispose();
        _file = null;
        _shardSubjects = 0;
        _shardRows = 0;
    }

    private ParquetFileWriter OpenShardFile()
    {
        var path = Path.Combine(_root, _shards[^1]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return ParquetFileWriter.CreateOwnerOnly(path, MedsSchema.Data, _settings.ParquetOptions);
    }
}
