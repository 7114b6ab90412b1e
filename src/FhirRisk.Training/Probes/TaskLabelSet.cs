using FhirRisk.Meds;
using FhirRisk.Parquet;

using FhirRisk.Meds.Tasks;

namespace FhirRisk.Training.Probes;

/// <summary>
/// The boolean MEDS labels of one task (docs/formats/labels.md), as <c>fhirrisk labels</c> writes them or any MEDS tool:
/// <c>&lt;root&gt;/labels/&lt;task&gt;/**/*.parquet</c> (the folder <c>fhirrisk labels --out</c> wrote) or
/// <c>&lt;root&gt;/&lt;task&gt;/**/*.parquet</c> (a MEDS task root).
/// </summary>
/// <param name="Task">The task name.</param>
/// <param name="Folder">The folder the labels were read from.</param>
/// <param name="Labels">Every labeled point.</param>
public sealed record TaskLabelSet(string Task, string Folder, IReadOnlyList<MedsLabel> Labels)
{
    /// <summary>The task's label folder under <paramref name="root"/>, or null when neither layout has it.</summary>
    public static string? FindFolder(string root, string task)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentException.ThrowIfNullOrEmpty(task);
        foreach (var folder in new[] { Path.Combine(root, TaskLabelExtraction.LabelsFolder, task), Path.Combine(root, task) })
        {
            if (Directory.Exists(folder))
                return folder;
        }
        return null;
    }

    /// <summary>Reads the task's labels under <paramref name="root"/>.</summary>
    /// <exception cref="TrainingException">No folder for the task, or a label without a boolean value.</exception>
    public static TaskLabelSet Read(string root, string task)
    {
        var folder = FindFolder(root, task) ?? throw new TrainingException(ProbeErrorCodes.NoLabels, root,
            $"no labels for task '{task}' (looked for labels/{task}/ and {task}/). Hint: {TaskCatalog.MissingLabelsHint(task, root)}");
        IReadOnlyList<MedsLabel> labels;
        try
        {
            labels = MedsLabels.ReadTask(folder);
        }
        catch (Exception e) when (e is MedsFormatException or ParquetException)
        {
            throw new TrainingException(ProbeErrorCodes.NoLabels, folder, $"a label file cannot be read ({e.Message}). Hint: rewrite the labels with 'fhirrisk labels'.", e);
        }
        foreach (var label in labels)
        {
            if (label.BooleanValue is null)
            {
                throw new TrainingException(ProbeErrorCodes.NoLabels, folder,
                    $"subject {label.SubjectId} at {label.PredictionTime:O} has no boolean_value; probes fit binary tasks only. Hint: point at the labels of a binary task.");
            }
        }
        return new TaskLabelSet(task, folder, labels);
    }
}
