using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FhirRisk.Core;

namespace FhirRisk.Tokenizer.Internal;

/// <summary>
/// Saves and loads a tokenizer as <c>tokenizer.json</c> (settings, interval estimates, deciles) and
/// <c>vocabulary.tsv</c> (one token per line), both versioned; docs/formats/tokenizer.md describes every field.
/// Writing is deterministic: the same tokenizer always gives the same bytes.
/// </summary>
internal static class TokenizerFiles
{
    public const string ManifestFile = "tokenizer.json";
    public const string VocabularyFile = "vocabulary.tsv";
    public const string Format = "fhirrisk-tokenizer";
    public const int Version = 1;
    public const string VocabularyHeader = "# fhirrisk-vocabulary 1";
    public const string CodesFile = "codes.tsv";
    public const string CodesHeader = "# fhirrisk-code-names 1";

    private static readonly JsonWriterOptions s_writerOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Save(TimelineTokenizer tokenizer, string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        WriteAtomically(Path.Combine(directory, VocabularyFile), new UTF8Encoding(false).GetBytes(WriteVocabulary(tokenizer.Vocabulary)));
        WriteAtomically(Path.Combine(directory, ManifestFile), TokenizerManifest.Write(tokenizer, s_writerOptions));
        // The names go with the tokenizer they were fitted with: a directory saved over keeps no stale names.
        var codes = Path.Combine(directory, CodesFile);
        if (tokenizer.CodeDescriptions.Count > 0)
            WriteAtomically(codes, new UTF8Encoding(false).GetBytes(WriteCodes(tokenizer.CodeDescriptions)));
        else if (File.Exists(codes))
            File.Delete(codes);
    }

    private static string WriteCodes(IReadOnlyDictionary<string, string> names)
    {
        var text = new StringBuilder();
        text.Append(CodesHeader).Append('\n').Append("code\tdescription\n");
        foreach (var (code, name) in names.OrderBy(n => n.Key, StringComparer.Ordinal))
        {
            Escape(text, code);
            text.Append('\t');
            Escape(text, name);
            text.Append('\n');
        }
        return text.ToString();
    }

    // codes.tsv is optional (tokenizers saved before 2026-12-07 have none); one that is there must be whole.
    private static Dictionary<string, string> ReadCodes(string directory)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = Path.Combine(directory, CodesFile);
        if (!File.Exists(path))
            return names;
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        if (lines.Length < 2 || lines[0] != CodesHeader)
            throw new InvalidDataException($"{path}: expected the first line '{CodesHeader}' (got '{(lines.Length > 0 ? lines[0] : "")}'). Hint: a newer FhirRisk wrote it, or the file is damaged; delete it (the codes are then shown unnamed) or refit the tokenizer.");
        for (var i = 2; i < lines.Length; i++)
        {
            var fields = lines[i].Split('\t');
            if (fields.Length != 2 || fields[0].Length == 0)
                throw new InvalidDataException($"{path}: line {i + 1} is not 'code<TAB>description'. Hint: the file is damaged; delete it (the codes are then shown unnamed) or refit the tokenizer.");
            names[Unescape(fields[0])] = Unescape(fields[1]);
        }
        return names;
    }

    // A crash or power loss mid-save leaves the previous file or none, never a truncated one (as checkpoints do).
    private static void WriteAtomically(string path, byte[] bytes) => DurableFiles.WriteAllBytes(path, bytes);

    public static TimelineTokenizer Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var manifestPath = Path.Combine(directory, ManifestFile);
        if (!File.Exists(manifestPath))
            throw new FileNotFoundException($"{manifestPath} not found. Hint: point at the model directory holding {ManifestFile} and {VocabularyFile}, or fit a tokenizer first.", manifestPath);
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        CheckVersion(manifest.RootElement, manifestPath);
        var vocabularyPath = Path.Combine(directory, VocabularyFile);
        var vocabulary = ReadVocabulary(vocabularyPath);
        var tokenizer = TokenizerManifest.Read(manifest.RootElement, vocabulary, manifestPath);
        tokenizer.CodeDescriptions = ReadCodes(directory);
        return tokenizer;
    }

    private static void CheckVersion(JsonElement root, string path)
    {
        var format = root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        if (format != Format)
            throw new InvalidDataException($"{path}: not a FhirRisk tokenizer (format '{format}', expected '{Format}'). Hint: check the path.");
        var version = root.TryGetProperty("version", out var v) && v.TryGetInt32(out var number) ? number : -1;
        if (version != Version)
            throw new InvalidDataException($"{path}: tokenizer version {version} is not supported (this build reads version {Version}). Hint: refit the tokenizer with this build ('fhirrisk tokenize fit'), or use the FhirRisk release that wrote it.");
    }

    private static string WriteVocabulary(Vocabulary vocabulary)
    {
        var text = new StringBuilder();
        text.Append(VocabularyHeader).Append('\n').Append("id\ttoken\tcount\n");
        for (var id = 0; id < vocabulary.Count; id++)
        {
            text.Append(id.ToString(CultureInfo.InvariantCulture)).Append('\t');
            Escape(text, vocabulary[id]);
            text.Append('\t').Append(vocabulary.Counts[id].ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        return text.ToString();
    }

    private static Vocabulary ReadVocabulary(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} not found. Hint: {ManifestFile} and {VocabularyFile} are saved together; copy both.", path);
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        if (lines.Length < 2 || lines[0] != VocabularyHeader)
            throw new InvalidDataException($"{path}: expected the first line '{VocabularyHeader}' (got '{(lines.Length > 0 ? lines[0] : "")}'). Hint: a newer FhirRisk wrote it, or the file is damaged; refit the tokenizer.");
        var tokens = new List<string>(lines.Length - 2);
        var counts = new List<long>(lines.Length - 2);
        for (var i = 2; i < lines.Length; i++)
        {
            var fields = lines[i].Split('\t');
            if (fields.Length != 3 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id != tokens.Count
                || !long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                throw new InvalidDataException($"{path}: line {i + 1} is not 'id<TAB>token<TAB>count' with id {tokens.Count}. Hint: the file is damaged; refit the tokenizer.");
            tokens.Add(Unescape(fields[1]));
            counts.Add(count);
        }
        return new Vocabulary(tokens, counts);
    }

    // Tokens are codes and may hold any character; the four that would break a TSV line are backslash-escaped.
    private static void Escape(StringBuilder text, string token)
    {
        foreach (var c in token)
        {
            _ = c switch
            {
                '\\' => text.Append(@"\\"),
                '\t' => text.Append(@"\t"),
                '\n' => text.Append(@"\n"),
                '\r' => text.Append(@"\r"),
                _ => text.Append(c),
            };
        }
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
            return field;
        var text = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] != '\\' || i + 1 == field.Length)
            {
                text.Append(field[i]);
                continue;
            }
            text.Append(field[++i] switch { 't' => '\t', 'n' => '\n', 'r' => '\r', var other => other });
        }
        return text.ToString();
    }
}
