using System.Runtime.InteropServices;
using FhirRisk.Core;
using FhirRisk.Meds;

namespace FhirRisk.Tokenizer;

/// <summary>
/// Encodes one MEDS shard into token shards for <see cref="DatasetTokenization"/>. A shard in <c>data/&lt;split&gt;/</c>
/// gives one token shard of that split. A shard directly in <c>data/</c> has no folder to name its split, so its
/// subjects are written to one token shard per split of <c>subject_splits.parquet</c> (<c>data/0.parquet</c> →
/// <c>train/0.tokens</c>, <c>held_out/0.tokens</c>, …; a subject not listed goes to <c>0.tokens</c> with no split).
/// The rows are checked as <see cref="MedsDatasetReader.ReadSubjects"/> and the tokenizer fit check them: each subject
/// contiguous (MEDS017) and in time order (MEDS015), and a split folder that agrees with the listing (MEDS021; such
/// subjects are counted in <see cref="Misplaced"/> and left out, and the caller refuses the run).
/// </summary>
internal sealed class ShardEncoder(TimelineTokenizer tokenizer, MedsDatasetReader dataset, MedsShard shard, IReadOnlyCollection<string>? splits)
{
    private const int ReportEvery = 2_000;

    private readonly Dictionary<string, (TokenShardWriter Writer, long Events)> _outputs = new(StringComparer.Ordinal);
    private readonly EncodedTimeline _timeline = tokenizer.CreateBuffer();
    private readonly List<MedsEvent> _subject = [];
    private readonly HashSet<long> _finished = [];
    private long _events, _tokens, _subjects;

    public CodeCoverageCounts Coverage { get; private set; }

    /// <summary>Subjects in a split folder whose listed split is another one.</summary>
    public long Misplaced { get; private set; }

    /// <summary>The first of <see cref="Misplaced"/>, for the error message.</summary>
    public long? FirstMisplaced { get; private set; }

    /// <summary>The token shard path, relative to the output folder, of <paramref name="shard"/>'s subjects of <paramref name="split"/>:
    /// <c>data/train/0.parquet</c> → <c>train/0.tokens</c>, <c>data/0.parquet</c> → <c>&lt;split&gt;/0.tokens</c>.</summary>
    public static string TargetPath(MedsShard shard, string split)
    {
        var underData = shard.RelativePath.StartsWith(MedsSchema.DataFolder + "/", StringComparison.Ordinal)
            ? shard.RelativePath[(MedsSchema.DataFolder.Length + 1)..]
            : shard.RelativePath;
        var path = Path.ChangeExtension(underData, DatasetTokenization.ShardExtension);
        return shard.Split.Length > 0 || split.Length == 0 ? path : $"{split}/{path}";
    }

    /// <summary>Encodes the shard and writes its token shards; <paramref name="onWritten"/> gets each full path once written.</summary>
    public IReadOnlyList<TokenShardInfo> Run(string outputFolder, Action<long, long> report, Action<string> onWritten, CancellationToken cancellationToken)
    {
        long reportedEvents = 0, reportedTokens = 0;
        DateTime? lastTime = null;
        foreach (var ev in dataset.ReadShard(shard, MedsEventColumns.Time | MedsEventColumns.Code | MedsEventColumns.NumericValue))
        {
            if (_subject.Count > 0 && _subject[0].SubjectId != ev.SubjectId)
            {
                Flush();
                lastTime = null;
                if (_subjects % ReportEvery == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    report(_events - reportedEvents, _tokens - reportedTokens);
                    (reportedEvents, reportedTokens) = (_events, _tokens);
                }
            }
            if (_subject.Count == 0 && _finished.Contains(ev.SubjectId))
                throw Refused(MedsIssueCodes.SubjectNotContiguous, $"Subject {ev.SubjectId} appears again after other subjects; MEDS keeps a subject's rows contiguous.");
            if (ev.Time is { } time)
            {
                if (lastTime is { } last && time < last)
                    throw Refused(MedsIssueCodes.TimesUnsorted, $"Subject {ev.SubjectId}: time goes back; MEDS sorts each subject's rows by time, and the tokenizer does not re-sort them.");
                lastTime = time;
            }
            _subject.Add(ev);
        }
        Flush();
        report(_events - reportedEvents, _tokens - reportedTokens);

        var written = new List<TokenShardInfo>(_outputs.Count);
        if (shard.Split.Length > 0 && _outputs.Count == 0)
            _outputs.Add(shard.Split, (new TokenShardWriter(tokenizer), 0)); // a shard of no subjects still gets its (empty) token shard
        foreach (var (split, (writer, events)) in _outputs.OrderBy(o => o.Key, Comparer<string>.Create(MedsSchema.CompareSplits)))
        {
            var relative = TargetPath(shard, split);
            var path = Path.Combine(outputFolder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            writer.Write(path);
            onWritten(path);
            written.Add(new TokenShardInfo(relative, split, writer.Subjects, events, writer.Tokens));
        }
        return written;
    }

    private void Flush()
    {
        if (_subject.Count == 0)
            return;
        var id = _subject[0].SubjectId;
        _finished.Add(id);
        _subjects++;
        var listed = dataset.SubjectSplits.TryGetValue(id, out var entry) ? entry : null;
        var split = shard.Split.Length > 0 ? shard.Split : listed ?? "";
        if (shard.Split.Length > 0 && listed is not null && listed != shard.Split)
        {
            Misplaced++;
            FirstMisplaced ??= id;
        }
        else if (splits is null || splits.Contains(split))
        {
            tokenizer.Encode(_subject, _timeline);
            ref var output = ref CollectionsMarshal.GetValueRefOrAddDefault(_outputs, split, out var exists);
            if (!exists)
                output = (new TokenShardWriter(tokenizer), 0);
            output.Writer.Add(_timeline);
            output.Events += _subject.Count;
            Coverage += _timeline.Coverage;
            _tokens += _timeline.Count;
            _events += _subject.Count;
        }
        _subject.Clear();
    }

    private MedsFormatException Refused(string code, string message) => new(Issue.Error(code, shard.RelativePath, message));
}
