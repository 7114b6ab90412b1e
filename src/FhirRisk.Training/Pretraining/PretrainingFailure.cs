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
            ? string.Create(CultureInfo.InvariantCulture, $"from the model directory's best weights (step {best}, tuning loss {record.BestEvalLoss:0.0000}): fhirrisk train --tokens {tokensDirectory} --tokenizer {directory.Root} --init {directory.Root} --out <new folder> --layers {s.Layers} --heads {s.Heads} --channels {s.Channels} --context {s.ContextLength}{OtherSettings(s)} --lr <lower>, or from random weights")
            : "from random weights";
        // AdamW's decoupled decay multiplies each weight by (1 − lr·wd) every step: at lr·wd ≥ 1 it flips or zeroes them.
        var decay = s.LearningRate * s.WeightDecay >= 1
            ? string.Create(CultureInfo.InvariantCulture, $" or a far lower --weight-decay (now {s.WeightDecay:G3}; the learning rate times it is {s.LearningRate * s.WeightDecay:G3}, and at 1 or more each step flips or zeroes the weights)")
            : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{intact} A resume would repeat this step exactly. Hint: start a new run with a lower learning rate (now {s.LearningRate:G3}){decay} into a new --out, {from}.");
    }

    /// <summary>The run's other settings that differ from the defaults, as options, so that the suggested command trains
    /// the same run but for its learning rate (review s22 trainer L2: --batch and --windows were dropped, and a uniform-window
    /// run would have continued anchored).</summary>
    private static string OtherSettings(PretrainingSettings s)
    {
        var defaults = PretrainingSettings.Default;
        var options = new List<string>();
        void Add(bool differs, string option, IFormattable value)
        {
            if (differs)
                options.Add($" {option} {value.ToString(null, CultureInfo.InvariantCulture)}");
        }
        Add(s.BatchSize != defaults.BatchSize, "--batch", s.BatchSize);
        Add(s.Steps != defaults.Steps, "--steps", s.Steps);
        Add(s.WarmupSteps != defaults.WarmupSteps, "--warmup", s.WarmupSteps);
        Add(s.MinLearningRateFraction != defaults.MinLearningRateFraction, "--min-lr-fraction", s.MinLearningRateFraction);
        Add(s.WeightDecay != defaults.WeightDecay, "--weight-decay", s.WeightDecay);
        Add(s.GradientClip != defaults.GradientClip, "--clip", s.GradientClip);
        Add(s.Dropout != defaults.Dropout, "--dropout", s.Dropout);
        Add(s.EvalEvery != defaults.EvalEvery, "--eval-every", s.EvalEvery);
        Add(s.EvalBatches != defaults.EvalBatches, "--eval-batches", s.EvalBatches);
        Add(s.CheckpointEvery != defaults.CheckpointEvery, "--checkpoint-every", s.CheckpointEvery);
        Add(s.Seed != defaults.Seed, "--seed", s.Seed);
        if (s.Windows != defaults.Windows)
            options.Add(" --windows " + s.Windows.ToString().ToLowerInvariant());
        return string.Concat(options);
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
