using System.Globalization;
using System.Text.Json;
using FhirRisk.Tokenizer;

namespace FhirRisk.Training.Pretraining;

/// <summary>
/// The token shards of one split (docs/formats/token-shard.md), memory-mapped and read in place as one stream: token
/// <c>p</c> of the split is found by <see cref="Locate"/>. The shards come from the folder's <c>manifest.json</c>, which
/// <c>fhirrisk tokenize</c> writes last, so a half-written folder is never read. Dispose to unmap.
/// </summary>
internal sealed class TokenSplit : IDisposable
{
    private readonly TokenShard[] _shards;
    private readonly long[] _starts;

    private TokenSplit(string name, TokenShard[] shards)
    {
        Name = name;
        _shards = shards;
        _starts = new long[shards.Length + 1];
        for (var i = 0; i < shards.Length; i++)
            _starts[i + 1] = _starts[i] + shards[i].TokenCount;
    }

    public string Name { get; }

    /// <summary>Tokens of every subject of the split.</summary>
    public long Tokens => _starts[^1];

    /// <summary>
    /// Opens every shard of <paramref name="split"/> listed in <paramref name="folder"/>'s manifest and checks each was
    /// written with <paramref name="tokenizer"/>'s vocabulary.
    /// </summary>
    /// <exception cref="TrainingException">No manifest (<see cref="PretrainingErrorCodes.NoTrainingData"/>), or
    /// another vocabulary (<see cref="PretrainingErrorCodes.TokenizerMismatch"/>).</exception>
    public static TokenSplit Open(string folder, string split, TimelineTokenizer tokenizer)
    {
        var shards = new List<TokenShard>();
        try
        {
            foreach (var path in ShardPaths(folder, split, tokenizer))
            {
                shards.Add(OpenShard(path));
                CheckVocabulary(shards[^1], tokenizer, path);
            }
            return new TokenSplit(split, [.. shards]);
        }
        catch
        {
            foreach (var shard in shards)
                shard.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The shard and subject holding token <paramref name="token"/> (in [0, <see cref="Tokens"/>)) of the split, and the
    /// token's index in that subject's timeline.
    /// </summary>
    public (TokenShard Shard, int Subject, int Position) Locate(long token)
    {
        var shard = LastAtOrBefore(_starts.AsSpan(0, _shards.Length), token);
        var local = token - _starts[shard];
        var offsets = _shards[shard].TokenOffsets;
        // The last subject starting at or before the token: subjects with no tokens share its start and come before it.
        var subject = LastAtOrBefore(offsets[..^1], local);
        return (_shards[shard], subject, (int)(local - offsets[subject]));
    }

    /// <summary>Every subject of the split that has timeline tokens, in split order, with its shard and token count.</summary>
    public IEnumerable<(TokenShard Shard, int Subject, int Length)> SubjectsWithTokens()
    {
        foreach (var shard in _shards)
        {
            for (var subject = 0; subject < shard.SubjectCount; subject++)
            {
                var length = shard.Tokens(subject).Length;
                if (length > 0)
                    yield return (shard, subject, length);
            }
        }
    }

    public void Dispose()
    {
        foreach (var shard in _shards)
            shard.Dispose();
    }

    /// <summary>The last index i with <paramref name="sorted"/>[i] ≤ <paramref name="value"/> (−1 when there is none).</summary>
    internal static int LastAtOrBefore(ReadOnlySpan<long> sorted, long value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (sorted[middle] <= value)
                low = middle + 1;
            else
                high = middle;
        }
        return low - 1;
    }

    private static TokenShard OpenShard(string path)
    {
        try
        {
            return TokenShard.Open(path);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            throw new TrainingException(PretrainingErrorCodes.NoTrainingData, path,
                $"the shard cannot be read ({TrainingException.WithoutHint(e.Message)}). Hint: re-run 'fhirrisk tokenize' into a new folder.", e);
        }
    }

    private static void CheckTokenizer(JsonElement manifest, TimelineTokenizer tokenizer, string path)
    {
        try
        {
            DatasetTokenization.CheckTokenizer(manifest, tokenizer, path);
        }
        catch (InvalidDataException e)
        {
            // The error names the manifest, as the message's own prefix did.
            throw new TrainingException(PretrainingErrorCodes.TokenizerMismatch, path, e.Message.StartsWith(path + ": ", StringComparison.Ordinal) ? e.Message[(path.Length + 2)..] : e.Message, e);
        }
    }

    private static void CheckVocabulary(TokenShard shard, TimelineTokenizer tokenizer, string path)
    {
        var vocabulary = tokenizer.Vocabulary;
        if (shard.VocabularyFingerprint != vocabulary.Fingerprint || shard.VocabularySize != vocabulary.Count)
            throw new TrainingException(PretrainingErrorCodes.TokenizerMismatch, path, string.Create(CultureInfo.InvariantCulture,
                $"written with a vocabulary of {shard.VocabularySize} tokens (fingerprint {shard.VocabularyFingerprint:X16}), the tokenizer has {vocabulary.Count} ({vocabulary.Fingerprint:X16}). Hint: pass the tokenizer the shards were written with, or tokenize again with this one."));
    }

    private static List<string> ShardPaths(string folder, string split, TimelineTokenizer tokenizer)
    {
        var manifest = Path.Combine(folder, DatasetTokenization.ManifestFile);
        if (!File.Exists(manifest))
        {
            throw new TrainingException(PretrainingErrorCodes.NoTrainingData, folder,
                $"no {DatasetTokenization.ManifestFile}, so this is not a finished token folder. Hint: run 'fhirrisk tokenize <meds-dir> --tokenizer <dir> --out {folder}'.");
        }
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(manifest));
            CheckTokenizer(json.RootElement, tokenizer, manifest);
            return [.. json.RootElement.GetProperty("shards").EnumerateArray()
                .Where(s => s.GetProperty("split").GetString() == split)
                .Select(s => Path.Combine(folder, s.GetProperty("path").GetString()!))];
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new TrainingException(PretrainingErrorCodes.NoTrainingData, manifest,
                string.Create(CultureInfo.InvariantCulture, $"not a token-shard manifest ({e.Message}). Hint: re-run 'fhirrisk tokenize' into a new folder."), e);
        }
    }
}
