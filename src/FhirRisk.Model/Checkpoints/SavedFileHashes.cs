using System.Security.Cryptography;
using System.Text.Json;

namespace FhirRisk.Model.Checkpoints;

/// <summary>
/// The SHA-256 of a model directory's files as its <c>training.json</c> records them (<c>file_sha256</c>, written last by
/// every save; docs/formats/model-directory.md "Durable saves"): a directory whose files are not those the record was
/// saved with mixes two saves (one stopped between its renames) or was changed since. Read here so that the trainer
/// (<c>--init</c>, <c>finetune --model</c>) and the service (<c>InferenceSession.Open</c>) check it the same way.
/// </summary>
public static class SavedFileHashes
{
    /// <summary>The record beside a <c>fhirrisk train</c> model.</summary>
    public const string RecordFile = "training.json";

    /// <summary>The SHA-256 of a file, lower-case hex.</summary>
    public static string Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// The path of the first file <paramref name="directory"/>'s <c>training.json</c> records a hash for that is missing
    /// or differs, or null when all match. A directory without the record, or with a record that holds no hashes (earlier
    /// builds), or one that cannot be read as JSON, is not checked (null): the trainer reports such a record itself.
    /// </summary>
    public static string? FirstMismatch(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (ReadRecord(directory).Hashes is not { } hashes)
            return null;
        foreach (var (name, expected) in hashes.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            var path = Path.Combine(directory, name);
            if (!File.Exists(path) || !string.Equals(Of(path), expected, StringComparison.OrdinalIgnoreCase))
                return path;
        }
        return null;
    }

    /// <summary>
    /// Why <paramref name="directory"/>'s <c>training.json</c> cannot be checked, or null when it can (or there is none):
    /// a record that is not a JSON object, or whose <c>file_sha256</c> is there but not an object of strings, is damaged,
    /// not an earlier build's (those lack the field). <see cref="FirstMismatch"/> skips such a record, so a loader that
    /// relies on the hashes refuses it with this reason instead of reading unchecked weights.
    /// </summary>
    public static string? RecordProblem(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return ReadRecord(directory).Problem;
    }

    /// <summary>The record's file hashes; none without a record or without the field (earlier builds); and why the record
    /// is damaged, when it is.</summary>
    private static (Dictionary<string, string>? Hashes, string? Problem) ReadRecord(string directory)
    {
        var record = Path.Combine(directory, RecordFile);
        if (!File.Exists(record))
            return (null, null);
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(record));
            if (json.RootElement.ValueKind != JsonValueKind.Object)
                return (null, "it is not a JSON object");
            if (!json.RootElement.TryGetProperty("file_sha256", out var files))
                return (null, null);
            const string NotHashes = "its file_sha256 is not an object of SHA-256 strings";
            if (files.ValueKind != JsonValueKind.Object || files.EnumerateObject().Any(f => f.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null)))
                return (null, NotHashes);
            // A null hash matches no file: the check reports its file, and a loader the damaged record.
            var hashes = files.EnumerateObject().ToDictionary(f => f.Name, f => f.Value.GetString() ?? "", StringComparer.Ordinal);
            return (hashes, files.EnumerateObject().Any(f => f.Value.ValueKind == JsonValueKind.Null) ? NotHashes : null);
        }
        catch (JsonException)
        {
            return (null, "it is not valid JSON");
        }
    }
}
