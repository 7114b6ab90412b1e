using System.Globalization;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Tokenizer;

namespace FhirRisk.Training.Pretraining;

/// <summary>
/// Tells a checkpoint the run saved from one changed since (docs/training.md, "Resume, and Ctrl-C"): the hashes its
/// <c>training.json</c> records for the other files and for the token manifest, and the values AdamW's moments can hold.
/// Each mismatch is a <see cref="TrainingException"/> naming the file.
/// </summary>
internal static class CheckpointIntegrity
{
    /// <summary>The SHA-256 of every file in a checkpoint folder but the record, which is written after them.</summary>
    public static Dictionary<string, string> FileHashes(string folder) =>
        System.IO.Directory.EnumerateFiles(folder)
            .Where(f => Path.GetFileName(f) != TrainingRecord.FileName)
            .Order(StringComparer.Ordinal)
            .ToDictionary(f => Path.GetFileName(f), SavedFileHashes.Of, StringComparer.Ordinal);

    /// <summary>The files of the model directory's model that its <c>training.json</c> holds the hashes of: each save of
    /// the best weights renames them one by one, then the record, so a save stopped between renames shows as a mismatch.</summary>
    public static readonly string[] ModelFiles = [Model.Checkpoints.Checkpoint.ConfigFileName, Model.Checkpoints.Checkpoint.ModelFileName, "tokenizer.json", "vocabulary.tsv"];

    /// <summary>The SHA-256 of each of <see cref="ModelFiles"/> present in <paramref name="root"/>.</summary>
    public static Dictionary<string, string> ModelFileHashes(string root) =>
        ModelFiles.Where(name => File.Exists(Path.Combine(root, name)))
            .ToDictionary(name => name, name => SavedFileHashes.Of(Path.Combine(root, name)), StringComparer.Ordinal);

    /// <summary>
    /// Refuses a model directory whose model files are not those its <c>training.json</c> was saved with: a save that
    /// stopped (crash, power loss) between renaming the weights and the record, or files copied in from another run.
    /// A directory without a record, or with one from a build that recorded no hashes, is not checked.
    /// </summary>
    public static void CheckModelFiles(string root, string code)
    {
        if (!File.Exists(Path.Combine(root, TrainingRecord.FileName)))
            return;
        _ = TrainingRecord.Load(root); // a damaged or newer record is reported as such
        if (Model.Checkpoints.SavedFileHashes.FirstMismatch(root) is { } path)
            throw new TrainingException(code, path,
                $"the file is not the one the model's training.json was saved with (missing, or its SHA-256 differs): the folder mixes files of different saves (a save stopped between its renames) or was changed since. Hint: restore {root} from a backup; a run's latest weights are in {Path.Combine(root, "checkpoints", "last")} (resume the run to save its best weights again).");
    }

    /// <summary>Refuses other token shards than the run's: the same tokenizer is not enough, since the windows of step k
    /// and the tuning loss that picks the best weights depend on the data. (Checkpoints of older builds record none.)</summary>
    public static void CheckTokens(TokensSource? saved, string tokensFolder)
    {
        var manifest = Path.Combine(tokensFolder, DatasetTokenization.ManifestFile);
        if (saved is null || !File.Exists(manifest))
            return;
        var sha = SavedFileHashes.Of(manifest);
        if (sha != saved.ManifestSha256)
            throw new TrainingException(PretrainingErrorCodes.TokenizerMismatch, tokensFolder, string.Create(CultureInfo.InvariantCulture,
                $"these token shards are not the run's: manifest.json has SHA-256 {sha}, the run's (in {saved.Directory}) {saved.ManifestSha256}. A resume on other data would not continue the run. Hint: pass the run's --tokens {saved.Directory}, or start a new run (--init from the model directory to keep its weights)."));
    }

    public static void CheckFileHashes(Dictionary<string, string>? hashes, string folder)
    {
        if (hashes is null)
            return;
        foreach (var (name, expected) in hashes)
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path))
                throw new TrainingException(PretrainingErrorCodes.CorruptCheckpoint, path,
                    $"the file is missing. Hint: restore {folder} from a backup, or start a new run with another --out.");
            if (SavedFileHashes.Of(path) != expected)
                throw new TrainingException(PretrainingErrorCodes.CorruptCheckpoint, path,
                    $"the file differs from the one this checkpoint saved (its SHA-256 is not the one training.json records): it was damaged, or copied from another save. Hint: restore {folder} from a backup, or start a new run with another --out (the model directory's best weights stay usable).");
        }
    }

    /// <summary>AdamW's moments must be finite and the second one non-negative (it is a running mean of squares);
    /// anything else makes the next update NaN.</summary>
    public static void CheckMoments(float[] m, float[] v, string path, string restore)
    {
        var nonFinite = Model.Checkpoints.FiniteValues.CountNonFinite(m) + Model.Checkpoints.FiniteValues.CountNonFinite(v);
        var negative = v.Count(x => x < 0);
        if (nonFinite + negative > 0)
            throw new TrainingException(PretrainingErrorCodes.CorruptCheckpoint, path, string.Create(CultureInfo.InvariantCulture,
                $"the optimizer moments hold {nonFinite:N0} NaN or infinite values and {negative:N0} negative second moments (exp_avg_sq): the file is damaged. The checkpoint cannot be resumed. Hint: {restore}"));
    }
}
