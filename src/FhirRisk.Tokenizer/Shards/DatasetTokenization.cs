using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FhirRisk.Meds;

namespace FhirRisk.Tokenizer;

/// <summary>Progress of <see cref="DatasetTokenization.Run"/>: shards finished and events read so far.</summary>
public readonly record struct TokenizationProgress(int ShardsDone, int Shards, long Events, long Tokens);

/// <summary>What <see cref="DatasetTokenization.Run"/> wrote.</summary>
/// <param name="Coverage">The timeline events of every shard by how much of their codes the vocabulary knows (a dataset
/// from another source than the tokenizer's shows here how much of it the model can read).</param>
public sealed record TokenizationSummary(IReadOnlyList<TokenShardInfo> Shards, long Subjects, long Events, long Tokens, TimeSpan Elapsed,
    CodeCoverageCounts Coverage);

/// <summary>One written token shard.</summary>
/// <param name="Path">Relative to the output folder with '/' separators, e.g. <c>train/0.tokens</c>.</param>
public sealed record TokenShardInfo(string Path, string Split, long Subjects, long Events, long Tokens);

/// <summary>
/// Tokenizes a MEDS dataset into token shards (docs/formats/token-shard.md): each <c>data/&lt;split&gt;/&lt;n&gt;.parquet</c>
/// becomes <c>&lt;out&gt;/&lt;split&gt;/&lt;n&gt;.tokens</c>, shards in parallel, plus a <c>manifest.json</c> listing them.
/// </summary>
public static class DatasetTokenization
{
    public const string ShardExtension = ".tokens";
    public const string ManifestFile = "manifest.json";

    /// <param name="tokenizer">The fitted tokenizer (train artifacts).</param>
    /// <param name="dataset">The MEDS dataset to encode.</param>
    /// <param name="outputFolder">Must not exist or be empty, so shards of two runs never mix.</param>
    /// <param name="splits">Splits to encode; null encodes every shard.</param>
    /// <param name="parallelism">Shards encoded at once (at least 1).</param>
    /// <param name="progress">Reported as shards finish and every few thousand subjects.</param>
    /// <param name="cancellationToken">Stops between subjects; finished shards stay, no partial shard is left named as finished.</param>
    public static TokenizationSummary Run(
        TimelineTokenizer tokenizer,
        MedsDatasetReader dataset,
        string outputFolder,
        IReadOnlyCollection<string>? splits = null,
        int parallelism = 1,
        IProgress<TokenizationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        if (Directory.Exists(outputFolder) && Directory.EnumerateFileSystemEntries(outputFolder).Any())
            throw new IOException($"'{outputFolder}' is not empty. Hint: write token shards to a new folder so old shards cannot mix in.");
        var clock = Stopwatch.StartNew();
        var shards = dataset.Shards.Where(s => splits is null || splits.Contains(s.Split)).ToArray();
        var written = new TokenShardInfo[shards.Length];
        var coverage = new CodeCoverageCounts[shards.Length];
        long events = 0, tokens = 0;
        var done = 0;
        Parallel.For(0, shards.Length, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, i =>
        {
            (written[i], coverage[i]) = EncodeShard(tokenizer, dataset, shards[i], outputFolder, (e, t) =>
            {
                var totalEvents = Interlocked.Add(ref events, e);
                var totalTokens = Interlocked.Add(ref tokens, t);
                progress?.Report(new TokenizationProgress(Volatile.Read(ref done), shards.Length, totalEvents, totalTokens));
            }, cancellationToken);
            progress?.Report(new TokenizationProgress(Interlocked.Increment(ref done), shards.Length, Interlocked.Read(ref events), Interlocked.Read(ref tokens)));
        });
        Directory.CreateDirectory(outputFolder);
        File.WriteAllBytes(Path.Combine(outputFolder, ManifestFile), Manifest(tokenizer, written));
        return new TokenizationSummary(written, written.Sum(s => s.Subjects), written.Sum(s => s.Events), written.Sum(s => s.Tokens), clock.Elapsed,
            coverage.Aggregate(default(CodeCoverageCounts), (a, b) => a + b));
    }

    private static (TokenShardInfo Shard, CodeCoverageCounts Coverage) EncodeShard(
        TimelineTokenizer tokenizer, MedsDatasetReader dataset, MedsShard shard, string outputFolder, Action<long, long> report, CancellationToken cancellationToken)
    {
        const int ReportEvery = 2_000;
        var writer = new TokenShardWriter(tokenizer);
        var timeline = tokenizer.CreateBuffer();
        var subject = new List<MedsEvent>();
        var coverage = default(CodeCoverageCounts);
        long events = 0, reportedEvents = 0, reportedTokens = 0;

        void Flush()
        {
            if (subject.Count == 0)
                return;
            tokenizer.Encode(subject, timeline);
            writer.Add(timeline);
            coverage += timeline.Coverage;
            events += subject.Count;
            subject.Clear();
            if (writer.Subjects % ReportEvery != 0)
                return;
            cancellationToken.ThrowIfCancellationRequested();
            report(events - reportedEvents, writer.Tokens - reportedTokens);
            (reportedEvents, reportedTokens) = (events, writer.Tokens);
        }

        // MEDS keeps each subject's rows contiguous in one shard (DESIGN §3), so a change of subject_id ends a subject.
        foreach (var ev in dataset.ReadShard(shard, MedsEventColumns.Time | MedsEventColumns.Code | MedsEventColumns.NumericValue))
        {
            if (subject.Count > 0 && subject[0].SubjectId != ev.SubjectId)
                Flush();
            subject.Add(ev);
        }
        Flush();
        report(events - reportedEvents, writer.Tokens - reportedTokens);

        var relative = RelativePath(shard);
        var path = Path.Combine(outputFolder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        writer.Write(path);
        return (new TokenShardInfo(relative, shard.Split, writer.Subjects, events, writer.Tokens), coverage);
    }

    // data/train/0.parquet → train/0.tokens; a shard directly in data/ keeps its file name.
    private static string RelativePath(MedsShard shard)
    {
        var underData = shard.RelativePath.StartsWith(MedsSchema.DataFolder + "/", StringComparison.Ordinal)
            ? shard.RelativePath[(MedsSchema.DataFolder.Length + 1)..]
            : shard.RelativePath;
        return Path.ChangeExtension(underData, ShardExtension);
    }

    private static byte[] Manifest(TimelineTokenizer tokenizer, IReadOnlyList<TokenShardInfo> shards)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("format", "fhirrisk-token-shards");
            json.WriteNumber("version", TokenShardLayout.Version);
            json.WriteString("vocabulary_fingerprint", tokenizer.Vocabulary.Fingerprint.ToString("X16", CultureInfo.InvariantCulture));
            json.WriteNumber("vocabulary_size", tokenizer.Vocabulary.Count);
            json.WriteNumber("prefix_length", tokenizer.PrefixLength);
            json.WriteStartArray("shards");
            foreach (var shard in shards)
            {
                json.WriteStartObject();
                json.WriteString("path", shard.Path);
                json.WriteString("split", shard.Split);
                json.WriteNumber("subjects", shard.Subjects);
                json.WriteNumber("events", shard.Events);
                json.WriteNumber("tokens", shard.Tokens);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }
}
