using FhirRisk.Meds.Tasks;
using FhirRisk.Parquet;

namespace FhirRisk.Meds;

/// <summary>
/// Labels a MEDS dataset for a set of tasks (docs/formats/labels.md): for each task, MEDS label files mirroring the
/// event shards (<c>labels/&lt;task&gt;/&lt;split&gt;/&lt;n&gt;.parquet</c>) and one per-stay evaluation table
/// (<c>stays/&lt;task&gt;.parquet</c>). Streams one subject at a time; the stay rows of all subjects are held until the end.
/// </summary>
public static class TaskLabelExtraction
{
    public const string LabelsFolder = "labels";
    public const string StaysFolder = "stays";

    private const MedsEventColumns Columns = MedsEventColumns.Time | MedsEventColumns.Code | MedsEventColumns.EncounterId;

    /// <summary>
    /// Writes the outputs of <paramref name="tasks"/> under <paramref name="outputFolder"/> and returns one summary per
    /// task. Throws <see cref="IOException"/> when a task's outputs already exist there, so old shards cannot mix in.
    /// </summary>
    public static IReadOnlyList<TaskLabelSummary> Run(
        MedsDatasetReader dataset,
        IReadOnlyList<TaskDefinition> tasks,
        string outputFolder,
        IProgress<TaskLabelProgress>? progress = null,
        ParquetWriterOptions? parquetOptions = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentException.ThrowIfNullOrEmpty(outputFolder);
        EnsureNoOutputs(outputFolder, tasks);
        foreach (var task in tasks)
            Directory.CreateDirectory(TaskLabelFolder(outputFolder, task));
        Directory.CreateDirectory(Path.Combine(outputFolder, StaysFolder));

        var summaries = tasks.Select(t => new TaskLabelSummary(t.Name, t.Point.Name)).ToArray();
        var stays = tasks.Select(_ => new List<StayOutcome>()).ToArray();
        long subjects = 0;
        for (var s = 0; s < dataset.Shards.Count; s++)
        {
            var shard = dataset.Shards[s];
            var labels = tasks.Select(_ => new List<MedsLabel>()).ToArray();
            foreach (var timeline in Timelines(dataset, shard))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var labeler = new TimelineLabeler(timeline);
                for (var t = 0; t < tasks.Count; t++)
                {
                    foreach (var row in labeler.Label(tasks[t]))
                    {
                        summaries[t].Add(row.Outcome);
                        stays[t].Add(row);
                        if (row.ToMedsLabel() is { } label)
                            labels[t].Add(label);
                    }
                }
                subjects++;
            }
            for (var t = 0; t < tasks.Count; t++)
            {
                if (labels[t].Count > 0)
                    MedsLabels.Write(LabelFile(outputFolder, tasks[t], shard), labels[t], parquetOptions);
            }
            progress?.Report(new TaskLabelProgress(s + 1, dataset.Shards.Count, subjects));
        }
        for (var t = 0; t < tasks.Count; t++)
            StayOutcomeTable.Write(StaysFile(outputFolder, tasks[t]), stays[t], parquetOptions);
        return summaries;
    }

    public static string TaskLabelFolder(string outputFolder, TaskDefinition task) => Path.Combine(outputFolder, LabelsFolder, task.Name);

    public static string StaysFile(string outputFolder, TaskDefinition task) => Path.Combine(outputFolder, StaysFolder, task.Name + ".parquet");

    // data/held_out/0.parquet → labels/<task>/held_out/0.parquet: label shards mirror the event shards.
    private static string LabelFile(string outputFolder, TaskDefinition task, MedsShard shard)
    {
        var underData = shard.RelativePath[(MedsSchema.DataFolder.Length + 1)..];
        var path = Path.Combine(TaskLabelFolder(outputFolder, task), underData);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>The shard's subjects, one timeline each (MEDS keeps a subject's rows contiguous in one shard; a subject
    /// whose rows resume after another's is refused, MEDS017, as the tokenizer refuses it, rather than cut in two).</summary>
    private static IEnumerable<TaskTimeline> Timelines(MedsDatasetReader dataset, MedsShard shard)
    {
        var events = new List<MedsEvent>();
        var finished = new HashSet<long>();
        foreach (var ev in dataset.ReadShard(shard, Columns))
        {
            if (events.Count > 0 && events[0].SubjectId != ev.SubjectId)
            {
                yield return TimelineOf(dataset, shard, events);
                finished.Add(events[0].SubjectId);
                events.Clear();
            }
            if (events.Count == 0 && finished.Contains(ev.SubjectId))
                throw new MedsFormatException(Core.Issue.Error(MedsIssueCodes.SubjectNotContiguous, shard.RelativePath,
                    $"Subject {ev.SubjectId} appears again after other subjects; MEDS keeps a subject's rows contiguous."));
            events.Add(ev);
        }
        if (events.Count > 0)
            yield return TimelineOf(dataset, shard, events);
    }

    private static TaskTimeline TimelineOf(MedsDatasetReader dataset, MedsShard shard, List<MedsEvent> events)
    {
        var subjectId = events[0].SubjectId;
        var split = shard.Split.Length > 0 ? shard.Split : dataset.SubjectSplits.GetValueOrDefault(subjectId, "");
        return TaskTimeline.Of(subjectId, split, events);
    }

    private static void EnsureNoOutputs(string outputFolder, IReadOnlyList<TaskDefinition> tasks)
    {
        foreach (var task in tasks)
        {
            var folder = TaskLabelFolder(outputFolder, task);
            var stays = StaysFile(outputFolder, task);
            if ((Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any()) || File.Exists(stays))
                throw new IOException($"Labels for task '{task.Name}' already exist under '{outputFolder}'. Hint: write the labels to a new folder, or delete the old ones first.");
        }
    }
}
