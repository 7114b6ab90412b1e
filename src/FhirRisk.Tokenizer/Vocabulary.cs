using System.Buffers.Binary;
using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;

namespace FhirRisk.Tokenizer;

/// <summary>
/// The token ↔ id table with each token's train count. Ids are positions: reserved tokens, static tokens, unknown-code
/// tokens, then code tokens by descending count (ties A→Z, ordinal) — the same data always gives the same vocabulary.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>Ends every training timeline (reference/ethos.md §1.3).</summary>
    public const string TimelineEnd = "TIMELINE_END";

    /// <summary>A code whose vocabulary has no <c>UNK//&lt;vocab&gt;</c> token (a vocabulary never seen in train).</summary>
    public const string Unknown = "UNK";

    /// <summary>The age tokens of a subject without <c>MEDS_BIRTH</c>.</summary>
    public const string AgeUnknown = "AGE//UNKNOWN";

    /// <summary>Prefix of the per-vocabulary unknown tokens, e.g. <c>UNK//LOINC</c>.</summary>
    public const string UnknownPrefix = "UNK//";

    /// <summary>Suffix of a static field's missing value, e.g. <c>RACE//UNKNOWN</c>.</summary>
    public const string UnknownValueSuffix = "//UNKNOWN";

    private readonly string[] _tokens;
    private readonly long[] _counts;
    private readonly FrozenDictionary<string, int> _ids;
    private readonly Lazy<ulong> _fingerprint;

    /// <summary>A vocabulary whose ids are the positions in <paramref name="tokens"/>; tokens must be distinct.</summary>
    public Vocabulary(IReadOnlyList<string> tokens, IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(counts);
        if (tokens.Count != counts.Count)
            throw new ArgumentException("Every token needs a count.", nameof(counts));
        _tokens = [.. tokens];
        _counts = [.. counts];
        var ids = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < _tokens.Length; i++)
        {
            if (!ids.TryAdd(_tokens[i], i))
                throw new ArgumentException($"Token '{_tokens[i]}' appears twice in the vocabulary.", nameof(tokens));
        }
        _ids = ids.ToFrozenDictionary(StringComparer.Ordinal);
        _fingerprint = new Lazy<ulong>(ComputeFingerprint);
    }

    public int Count => _tokens.Length;

    /// <summary>
    /// A 64-bit fingerprint of the tokens in id order (the first 8 bytes, little-endian, of SHA-256 over the UTF-8 tokens
    /// each followed by LF). Token shards record it, so a stream is never read with another vocabulary's ids.
    /// </summary>
    public ulong Fingerprint => _fingerprint.Value;

    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Train occurrences of each token (see docs/formats/tokenizer.md for what counts).</summary>
    public IReadOnlyList<long> Counts => _counts;

    public string this[int id] => _tokens[id];

    public bool TryGetId(string token, out int id) => _ids.TryGetValue(token, out id);

    /// <summary>The id of a token that must exist (reserved and static tokens); throws when absent.</summary>
    public int IdOf(string token) =>
        _ids.TryGetValue(token, out var id) ? id : throw new KeyNotFoundException($"Token '{token}' is not in the vocabulary.");

    /// <summary>The vocabulary name of a code: the text before its first <c>//</c> (<c>LOINC</c>), or the whole code.</summary>
    public static string VocabularyOf(string code)
    {
        var end = code.IndexOf("//", StringComparison.Ordinal);
        return end < 0 ? code : code[..end];
    }

    private ulong ComputeFingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var token in _tokens)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(token));
            hash.AppendData("\n"u8);
        }
        return BinaryPrimitives.ReadUInt64LittleEndian(hash.GetHashAndReset());
    }

    /// <summary>The <c>Q</c> token of a 1-based bin or age digit + 1.</summary>
    public static string QuantileToken(int bin) => "Q" + bin.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
