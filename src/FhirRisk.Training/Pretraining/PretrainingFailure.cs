using System.Globalization;
using FhirRisk.Core;

namespace FhirRisk.Training.Pretraining;

/// <summary>
/// What a failed pretraining step or save leaves behind once a checkpoint exists, and the way forward from there; and
/// the guard that turns a failed write into <see cref="PretrainingErrorCodes.SaveFailed"/>. (A new run that fails before
/// its first checkpoint is removed instead: <see cref="NewRunFolder"/>.)
/// </summary>
internal static class PretrainingFailure
{
    /// <summary>
    /// The message tail after a failure with the checkpoint of <paramref name="savedStep"/> in place: a resume works
    /// after a failed save, but would repeat a diverged step bit for bit, so the way forward is then a new run with a
    /// lower rate. Deletes the <c>.partial</c> files the failed save left.
    /// </summary>
    public static string AfterCheckpoint(ModelDirectory directory, TrainingRecord record, long savedStep, string tokensDirectory, bool diverged)
    {
        DeletePartialFiles(directory);
        var last = directory.LastCheckpoint;
        var intact = string.Create(CultureInfo.InvariantCulture, $"The checkpoint of step {savedStep} in {last} is intact.");
        if (!diverged)
            return $"{intact} Hint: free space on the disk that holds it (or fix the folder's permissions), then run again with --resume.";
        // The checkpoint's weights may already have diverged (the step before a NaN loss often makes them huge), so the
        // way forward is a new run: from the best weights, chosen by a finite tuning loss, or from random ones.
        var s = record.Settings;
        var from = record.BestStep is { } best
            ? string.Create(CultureInfo.InvariantCulture, $"from the model directory's best weights (step {best}, tuning loss {record.BestEvalLoss:0.0000}): fhirrisk train --tokens {tokensDirectory} --tokenizer {directory.Root} --init {directory.Root} --out <new folder> --layers {s.Layers} --heads {s.Heads} --channels {s.Channels} --context {s.ContextLength} --lr <lower>, or from random weights")
            : "from random weights";
        return string.Create(CultureInfo.InvariantCulture,
            $"{intact} A resume would repeat this step exactly. Hint: start a new run with a lower learning rate (now {s.LearningRate:G3}) into a new --out, {from}.");
    }

    /// <summary>Turns a failed write (a full disk, a read-only folder) into <see cref="PretrainingErrorCodes.SaveFailed"/> naming the path.</summary>
    public static void Guarded(string path, Action save) => Guarded(path, () =>
    {
        save();
        return 0;
    });

    /// <inheritdoc cref="Guarded(string, Action)"/>
    public static T Guarded<T>(string path, Func<T> save)
    {
        try
        {
            return save();
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            var why = FileFailures.IsFileTooLarge(e) ? $"{e.Message} The file system's largest file (FAT32: 4 GiB) or the process's file-size limit stopped it" : e.Message;
            throw new TrainingException(PretrainingErrorCodes.SaveFailed, path, $"could not write ({why}).", e);
        }
    }

    /// <summary>The <c>.partial</c> files and folder a failed save leaves beside the intact ones.</summary>
    private static void DeletePartialFiles(ModelDirectory directory)
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(directory.Root, "*.partial"))
                File.Delete(file);
            if (Directory.Exists(directory.LastCheckpoint + ".partial"))
                Directory.Delete(directory.LastCheckpoint + ".partial", recursive: true);
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            // Best effort: the next save replaces them.
        }
    }
}
