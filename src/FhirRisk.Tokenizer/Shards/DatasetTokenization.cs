using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using FhirRisk.Core;
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
/// becomes <c>&lt;out&gt;/&lt;split&gt;/&lt;n&gt;.tokens</c>, and a shard directly in <c>data/</c> one token shard per split
/// of its subjects (<see cref="ShardEncoder"/>), shards in parallel, plus a <c>manifest.json</c> listing them. A run that
/// fails on its data removes the shards it wrote and writes no manifest.
/// </summary>
public static class DatasetTokenization
{
    public const string ShardExtension = ".tokens";
    public const string ManifestFile = "manifest.json";

    /// <summary>The manifest field that names the tokenizer the shards were encoded with
    /// (<see cref="TimelineTokenizer.EncodingFingerprint"/>); manifests written before 2026-12-07 lack it.</summary>
    public const string TokenizerFingerprintField = "tokenizer_fingerprint";

    /// <summary>
    /// Checks that the shards of a manifest were encoded with <paramref name="tokenizer"/>'s rules, not only its token
    /// list (the shards' headers check that): one with the same tokens but other deciles, quantized codes, intervals or
    /// date rules gives the ids other meanings, and a model trained on the shards would be served inputs binned another
    /// way (review s22 trainer H1). A manifest without the field (written before it existed) is not checked.
    /// </summary>
    /// <exception cref="InvalidDataException">The manifest names another tokenizer.</exception>
    public static void CheckTokenizer(JsonElement manifest, TimelineTokenizer tokenizer, string manifestPath)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (!manifest.TryGetProperty(TokenizerFingerprintField, out var field) || field.ValueKind != JsonValueKind.String)
            return;
        var own = tokenizer.EncodingFingerprint.ToString("X16", CultureInfo.InvariantCulture);
        if (!string.Equals(field.GetString(), own, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{manifestPath}: the shards were encoded with another tokenizer (fingerprint {field.GetString()}), this one is {own}: the same tokens, perhaps, but other deciles, quantized codes, intervals or date rules. Hint: pass the tokenizer the shards were written with, or tokenize again with this one."));
    }

    /// <param name="tokenizer">The fitted tokenizer (train artifacts).</param>
    /// <param name="dataset">The MEDS dataset to encode.</param>
    /// <param name="outputFolder">Must not exist or be empty, so shards of two runs never mix.</param>
    /// <param name="splits">Splits to encode; null encodes every shard.</param>
    /// <param name="parallelism">Shards encoded at once (at least 1).</param>
    /// <param name="progress">Reported as shards finish and every few thousand subjects.</param>
    /// <param name="cancellationToken">Stops between subjects; finished shards stay, no partial shard is left named as finished.</param>
    /// <param name="maxUnknownShare">When set, the largest share (0–1) of timeline events whose codes are wholly unknown
    /// (<see cref="CodeCoverage.Unknown"/>) the run accepts; above it the run fails with
    /// <see cref="TokenizerIssueCodes.TooManyUnknownCodes"/>. Null accepts any share.</param>
    /// <exception cref="MedsFormatException">A subject's rows are not contiguous (MEDS017) or not in time order (MEDS015),
    /// or subjects sit in a split folder other than their <c>subject_splits.parquet</c> split (MEDS021).</exception>
    /// <exception cref="TokenizationException">Too many unknown codes (TOK001), or two shards would write the same path (TOK002).</exception>
    public static TokenizationSummary Run(
        TimelineTokenizer tokenizer,
        MedsDatasetReader dataset,
        string outputFolder,
        IReadOnlyCollection<string>? splits = null,
        int parallelism = 1,
        IProgress<TokenizationProgress>? progress = null,
        CancellationToken cancellationToken = default,
        double? maxUnknownShare = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        if (Directory.Exists(outputFolder) && Directory.EnumerateFileSystemEntries(outputFolder).Any())
            throw new IOException($"'{outputFolder}' is not empty. Hint: write token shards to a new folder so old shards cannot mix in.");
        var clock = Stopwatch.StartNew();
        // A shard directly in data/ has no split folder: it is always read, and its subjects are filtered by their listed split.
        var shards = dataset.Shards.Where(s => splits is null || s.Split.Length == 0 || splits.Contains(s.Split)).ToArray();
        CheckTargetPaths(dataset, shards);
        var encoders = shards.Select(s => new ShardEncoder(tokenizer, dataset, s, splits)).ToArray();
        var written = new IReadOnlyList<TokenShardInfo>[shards.Length];
        var files = new ConcurrentBag<string>();
        long events = 0, tokens = 0;
        var done = 0;
        try
        {
            Parallel.For(0, shards.Length, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, i =>
            {
                written[i] = encoders[i].Run(outputFolder, (e, t) =>
                {
                    var totalEvents = Interlocked.Add(ref events, e);
                    var totalTokens = Interlocked.Add(ref tokens, t);
                    progress?.Report(new TokenizationProgress(Volatile.Read(ref done), shards.Length, totalEvents, totalTokens));
                }, files.Add, cancellationToken);
                progress?.Report(new TokenizationProgress(Interlocked.Increment(ref done), shards.Length, Interlocked.Read(ref events), Interlocked.Read(ref tokens)));
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The caller sees the data problem itself (a MedsFormatException with its code), not the Parallel wrapper.
            RemoveWritten(outputFolder, files);
            var first = e.InnerExceptions.FirstOrDefault(x => x is MedsFormatException) ?? e.InnerExceptions[0];
            ExceptionDispatchInfo.Capture(first).Throw();
        }
        var coverage = encoders.Aggregate(default(CodeCoverageCounts), (sum, encoder) => sum + encoder.Coverage);
        try
        {
            CheckSplitFolders(encoders);
            coverage.CheckUnknownShare(maxUnknownShare, MedsSchema.DataFolder + "/");
        }
        catch
        {
            RemoveWritten(outputFolder, files);
            throw;
        }
        // Reading order of the splits (train, tuning, held_out, others); a data/ shard's splits are spread among them.
        var listed = written.SelectMany(w => w).OrderBy(s => s.Split, Comparer<string>.Create(MedsSchema.CompareSplits)).ToArray();
        Directory.CreateDirectory(outputFolder);
        // The manifest marks the shards finished: written whole and flushed, like the shards, never torn.
        DurableFiles.WriteAllBytes(Path.Combine(outputFolder, ManifestFile), Manifest(tokenizer, listed));
        return new TokenizationSummary(listed, listed.Sum(s => s.Subjects), listed.Sum(s => s.Events), listed.Sum(s => s.Tokens), clock.Elapsed, coverage);
    }

    // data/0.parquet writes train/0.tokens, which data/train/0.parquet writes too in a dataset that mixes both layouts.
    private static void CheckTargetPaths(MedsDatasetReader dataset, IReadOnlyList<MedsShard> shards)
    {
        var foldered = shards.Where(s => s.Split.Length > 0).ToDictionary(s => ShardEncoder.TargetPath(s, s.Split), StringComparer.Ordinal);
        foreach (var shard in shards.Where(s => s.Split.Length == 0))
        {
            foreach (var split in dataset.SplitNames.Append(""))
            {
                if (foldered.TryGetValue(ShardEncoder.TargetPath(shard, split), out var other))
                {
                    throw new TokenizationException(Issue.Error(TokenizerIssueCodes.ShardPathCollision, shard.RelativePath,
                        $"{shard.RelativePath} (its '{split}' subjects) and {other.RelativePath} would both be written to {ShardEncoder.TargetPath(shard, split)}."),
                        $"move {shard.RelativePath} into data/<split>/ folders by subject_splits.parquet, or rename it.");
                }
            }
        }
    }

    private static void CheckSplitFolders(IReadOnlyList<ShardEncoder> encoders)
    {
        var misplaced = encoders.Sum(e => e.Misplaced);
        if (misplaced == 0)
            return;
        var first = encoders.First(e => e.FirstMisplaced is not null).FirstMisplaced;
        throw new MedsFormatException(Issue.Error(MedsIssueCodes.SubjectInWrongSplitFolder, MedsSchema.SubjectSplitsFile, string.Create(CultureInfo.InvariantCulture,
            $"{misplaced} subject(s) sit in a data/<split>/ folder other than their split in {MedsSchema.SubjectSplitsFile} (first: subject {first}); their tokens would be filed under the wrong split.")));
    }

    // The output folder was new or empty: remove what this run wrote, and the folders it made, so a rerun can use it.
    private static void RemoveWritten(string outputFolder, IEnumerable<string> files)
    {
        foreach (var file in files)
            File.Delete(file);
        if (!Directory.Exists(outputFolder))
            return;
        foreach (var folder in Directory.EnumerateDirectories(outputFolder, "*", SearchOption.AllDirectories).OrderByDescending(f => f.Length).ToArray())
        {
            if (!Directory.EnumerateFileSystemEntries(folder).Any())
                Directory.Delete(folder);
        }
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
            json.WriteString(TokenizerFingerprintField, tokenizer.EncodingFingerprint.ToString("X16", CultureInfo.InvariantCulture));
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
