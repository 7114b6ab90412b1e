using System.Globalization;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Tokenizer;

namespace FhirRisk.Training.Finetuning;

/// <summary>
/// Writes a finetuned model directory (docs/formats/heads.md): the tokenizer unchanged (<c>tokenizer.json</c>,
/// <c>vocabulary.tsv</c>), the backbone with its task-token rows (<c>config.json</c> with <c>vocab_size</c> = V + K,
/// <c>model.safetensors</c>), the heads with their calibrations and task token ids (<c>heads.json</c>), and what the run
/// did (<c>finetuning.json</c>). The service loads it like any model directory and reads <c>heads.json</c> beside it.
/// </summary>
public static class FinetunedModel
{
    /// <summary>The run's record: settings, steps, losses and each task's tuning measurements.</summary>
    public const string RecordFile = FinetuningRunStatus.FileName;

    /// <summary>Saves <paramref name="result"/> into <paramref name="directory"/>, which must be new or empty.</summary>
    /// <exception cref="TrainingException">The folder is not empty (<see cref="FinetuningErrorCodes.OutputNotEmpty"/>) or a
    /// write failed (<see cref="FinetuningErrorCodes.SaveFailed"/>).</exception>
    /// <param name="taskParameters">What the labels were made with (their <c>task_parameters.json</c>). Kept in the
    /// record, so the service answers the tasks the heads learnt.</param>
    public static void Save(string directory, TimelineTokenizer tokenizer, FinetuningResult result, FinetuningSettings settings,
        TaskParameters taskParameters)
    {
        ArgumentNullException.ThrowIfNull(taskParameters);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(settings);
        CheckEmpty(directory);
        // Into the folder itself, so a --out that is a symbolic link, a mounted volume or the working directory stays what
        // it is. Each file is written whole and flushed (DurableFiles); the heads go first and the record last. The folder
        // was empty, so a crash leaves some of this save's files without the record, never files of two saves, and never
        // a finetuned backbone without its heads that would load as a pretrained model: whatever a crash leaves holds
        // heads.json and no record, which InferenceSession.Open refuses (IN001).
        WriteOrRemove(directory, () =>
        {
            result.Heads.Save(directory);
            tokenizer.Save(directory);
            GptCheckpoint.Save(directory, result.Model);
            WriteRecord(Path.Combine(directory, RecordFile), result, settings, taskParameters);
        });
    }

    /// <summary>Runs <paramref name="write"/> into the new or empty <paramref name="directory"/>; when a write fails, removes
    /// what it wrote and raises <see cref="FinetuningErrorCodes.SaveFailed"/> saying so.</summary>
    internal static void WriteOrRemove(string directory, Action write)
    {
        var created = !Directory.Exists(directory);
        try
        {
            Directory.CreateDirectory(directory);
            write();
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            var kept = Remove(directory, created);
            var state = kept is null ? $"nothing was kept ({directory} was {(created ? "removed" : "emptied")})" : $"{directory} could not be removed ({kept})";
            var retry = kept is null ? "finetune again (the same --out is free)" : $"delete {directory} or choose a new --out, and finetune again";
            throw new TrainingException(FinetuningErrorCodes.SaveFailed, directory,
                $"could not write the finetuned model ({e.Message}); {state}. Hint: free space on the disk (or fix the folder's permissions), then {retry}.", e);
        }
    }

    /// <summary>Removes what a failed save wrote into <paramref name="directory"/> (empty before it): a half-written model
    /// must not be served, and would make the retry fail with <see cref="FinetuningErrorCodes.OutputNotEmpty"/>.</summary>
    /// <returns>Null, or why the folder could not be removed.</returns>
    private static string? Remove(string directory, bool created)
    {
        try
        {
            if (created)
            {
                Directory.Delete(directory, recursive: true);
                return null;
            }
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo folder)
                    folder.Delete(recursive: true);
                else
                    entry.Delete();
            }
            return null;
        }
        catch (Exception e) when (FileFailures.IsFileFailure(e))
        {
            return e.Message;
        }
    }

    /// <summary>
    /// A warning when <paramref name="directory"/>'s <c>finetuning.json</c> says the run was stopped early (Ctrl-C): its
    /// heads load and score like finished ones, and finetuning has no resume, so whoever uses them should know.
    /// </summary>
    /// <returns>The warning, or null when the run finished or there is no readable record.</returns>
    public static string? StoppedEarlyWarning(string directory)
    {
        if (FinetuningRunStatus.StoppedEarly(directory) is not { } status)
            return null;
        var done = status.StepsDone?.ToString(CultureInfo.InvariantCulture) ?? "?";
        var steps = status.Steps?.ToString(CultureInfo.InvariantCulture) ?? "?";
        return $"{Path.Combine(directory, RecordFile)} says finetuning was stopped early, at step {done} of {steps}: these heads are not the finished run's. Finetune again to finish it (finetuning has no --resume).";
    }

    /// <summary>Refuses a folder that already holds files, so a finetuned model never mixes with another's, and an
    /// <c>--out</c> that is a file or cannot be written (<see cref="OutputFolder"/>), before anything is trained.</summary>
    public static void CheckEmpty(string directory)
    {
        if (OutputFolder.Refusal(directory) is { } refusal)
            throw new TrainingException(refusal.IsFile ? FinetuningErrorCodes.OutputNotEmpty : FinetuningErrorCodes.SaveFailed, directory, refusal.Reason);
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
            throw new TrainingException(FinetuningErrorCodes.OutputNotEmpty, directory, "the folder is not empty. Hint: choose a new --out.");
    }

    private static void WriteRecord(string path, FinetuningResult result, FinetuningSettings settings, TaskParameters taskParameters)
    {
        DurableFiles.Write(path, stream => WriteRecord(stream, result, settings, taskParameters));
    }

    private static void WriteRecord(Stream stream, FinetuningResult result, FinetuningSettings settings, TaskParameters taskParameters)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", "fhirrisk-finetuning");
        json.WriteNumber("version", 1);
        json.WriteStartObject("settings");
        settings.WriteFields(json, result.Model.Config.ContextLength);
        json.WriteString("seed", settings.Seed.ToString(CultureInfo.InvariantCulture));
        json.WriteEndObject();
        json.WriteNumber("steps_done", result.StepsDone);
        json.WriteBoolean("cancelled", result.Cancelled);
        WriteNumberOrNull(json, "first_loss", result.FirstLoss);
        WriteNumberOrNull(json, "last_loss", result.LastLoss);
        if (settings.LanguageModelLoss)
        {
            WriteNumberOrNull(json, "first_language_model_loss", result.FirstLanguageModelLoss);
            WriteNumberOrNull(json, "last_language_model_loss", result.LastLanguageModelLoss);
        }
        json.WriteNumber("seconds", Math.Round(result.Elapsed.TotalSeconds, 3));
        TaskParametersFile.WriteObject(json, "task_parameters", taskParameters);
        json.WriteStartArray("tasks");
        foreach (var task in result.Tasks)
        {
            json.WriteStartObject();
            json.WriteString("name", task.Task);
            json.WriteNumber("train_labels", task.TrainLabels);
            json.WriteNumber("train_positives", task.TrainPositives);
            json.WriteNumber("tuning_labels", task.TuningLabels);
            json.WriteNumber("tuning_positives", task.TuningPositives);
            WriteNumberOrNull(json, "tuning_auroc", task.Auroc);
            WriteNumberOrNull(json, "tuning_log_loss_raw", task.RawLogLoss);
            WriteNumberOrNull(json, "tuning_log_loss_calibrated", task.CalibratedLogLoss);
            WriteNumberOrNull(json, "tuning_ece_calibrated", task.CalibratedEce);
            json.WriteString("calibration", task.Calibration.Method.ToString().ToLowerInvariant());
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>JSON has no NaN: an undefined measurement (one class in tuning) is null.</summary>
    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
            json.WriteNumber(name, v);
        else
            json.WriteNull(name);
    }
}
