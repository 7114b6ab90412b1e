using FhirRisk.Core;
using FhirRisk.Model.Checkpoints;

namespace FhirRisk.Training.Pretraining;

/// <summary>
/// The folder a pretraining run writes and the service loads (docs/formats/model-directory.md): the model to use at the
/// top (config, best weights, tokenizer, training record, metrics, loss curve) and the resumable state of the run under
/// <c>checkpoints/last/</c>.
/// </summary>
/// <param name="Root">The model directory.</param>
public sealed record ModelDirectory(string Root)
{
    /// <summary>The loss curve (training and tuning loss by step).</summary>
    public const string LossCurveFile = "loss.png";

    /// <summary>The resumable checkpoint: weights, AdamW moments, data and RNG position.</summary>
    public string LastCheckpoint => Path.Combine(Root, "checkpoints", "last");

    public string MetricsFile => Path.Combine(Root, MetricsLog.FileName);

    public string LossCurve => Path.Combine(Root, LossCurveFile);

    /// <summary>The model directory whose resumable checkpoint <paramref name="folder"/> is (<c>&lt;root&gt;/checkpoints/last</c>
    /// with an optimizer file), or null when it is not one.</summary>
    public static string? OfCheckpoint(string folder)
    {
        var full = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full);
        return File.Exists(Path.Combine(full, Checkpoint.OptimizerFileName)) && Path.GetFileName(parent) == "checkpoints"
            ? Path.GetDirectoryName(parent)
            : null;
    }

    /// <summary>Whether the folder holds anything, so a new run would overwrite it.</summary>
    internal bool Occupied => Directory.Exists(Root) && Directory.EnumerateFileSystemEntries(Root).Any();

    /// <summary>
    /// Writes a checkpoint folder as a whole: into <c>&lt;folder&gt;.partial</c>, then swapped into place, so
    /// <paramref name="folder"/> is always either the previous complete checkpoint or the new one. A crash inside the
    /// swap leaves the previous one as <c>&lt;folder&gt;.old</c>, which <see cref="RecoverCheckpoint"/> restores.
    /// </summary>
    /// <remarks>Each file <paramref name="write"/> saves is flushed to disk as it is written (<see cref="DurableFiles"/>),
    /// and each rename is synced to disk before the next step, so the order holds across a power loss too.</remarks>
    internal static void ReplaceFolder(string folder, Action<string> write)
    {
        var (partial, old) = (folder + DurableFiles.PartialSuffix, folder + ".old");
        if (Directory.Exists(partial))
            Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        write(partial);
        if (Directory.Exists(old))
            Directory.Delete(old, recursive: true);
        if (Directory.Exists(folder))
            DurableFiles.MoveFolder(folder, old);
        DurableFiles.MoveFolder(partial, folder);
        if (Directory.Exists(old))
            Directory.Delete(old, recursive: true);
    }

    /// <summary>Restores the previous checkpoint when a save stopped between the two renames of <see cref="ReplaceFolder"/>.</summary>
    internal static void RecoverCheckpoint(string folder)
    {
        if (!Directory.Exists(folder) && Directory.Exists(folder + ".old"))
            Directory.Move(folder + ".old", folder);
    }
}
