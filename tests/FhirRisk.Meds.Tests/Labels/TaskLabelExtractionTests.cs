using FhirRisk.Core;
using FhirRisk.Meds.Tasks;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Labels;

public sealed class TaskLabelExtractionTests
{
    private static readonly DateTime s_start = new(2120, 1, 1);

    [Fact]
    public void Run_TwoSplits_WritesLabelShardsPerSplitAndOneStaysTablePerTask()
    {
        using var temp = new TempDirectory();
        var dataset = WriteDataset(temp.File("meds"));
        var output = temp.File("labels-out");
        var progress = new List<TaskLabelProgress>();

        var summaries = TaskLabelExtraction.Run(dataset, TaskCatalog.Create(), output, new SynchronousProgress(progress));

        var mortality = summaries.Single(s => s.Task == TaskCatalog.HospitalMortality);
        Assert.Equal((3L, 2L, 1L, 1L), (mortality.Points, mortality.Labeled, mortality.Positives, mortality.Unresolved));
        Assert.Equal(0.5, mortality.Prevalence);
        var task = TaskCatalog.Create().Single(t => t.Name == TaskCatalog.HospitalMortality);
        var folder = TaskLabelExtraction.TaskLabelFolder(output, task);
        Assert.Equal(["held_out/0.parquet", "train/0.parquet"], Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal));
        Assert.Equal(
            [new MedsLabel(1, s_start, true), new MedsLabel(2, s_start.AddDays(1), false)],
            MedsLabels.ReadTask(folder).OrderBy(l => l.SubjectId));
        Assert.Equal([1, 2], progress.Select(p => p.ShardsDone));
        Assert.Equal(2, progress[^1].Subjects);
    }

    [Fact]
    public void Run_StaysTable_RoundTripsEveryPointIncludingExcludedOnes()
    {
        using var temp = new TempDirectory();
        var dataset = WriteDataset(temp.File("meds"));
        var output = temp.File("labels-out");
        var task = TaskCatalog.Create().Single(t => t.Name == TaskCatalog.HospitalMortality);

        TaskLabelExtraction.Run(dataset, [task], output);
        var rows = StayOutcomeTable.Read(TaskLabelExtraction.StaysFile(output, task)).OrderBy(r => (r.SubjectId, r.PredictionTime)).ToArray();

        Assert.Equal(3, rows.Length);
        Assert.Equal(new StayOutcome(1, "train", 11, s_start, s_start, s_start.AddDays(2),
            new TaskOutcome(TaskOutcomeKind.Stop, true, TimeSpan.FromDays(2), "MEDS_DEATH")), rows[0]);
        Assert.Equal(("held_out", 21L, TimeSpan.FromHours(36)), (rows[1].Split, rows[1].EncounterId!.Value, rows[1].LengthOfStay!.Value));
        Assert.Equal(new TaskOutcome(TaskOutcomeKind.Censored, null), rows[2].Outcome);
        Assert.Null(rows[2].StayEnd);
    }

    [Fact]
    public void Run_ASubjectWhoseRowsResumeAfterAnothers_IsRefusedAsTheTokenizerRefusesIt()
    {
        // Rows of subjects 1, 2, 1: labelled as two timelines of subject 1 (a stay cut at the split), where tokenize
        // refuses the same data.
        using var temp = new TempDirectory();
        new RawDataset(temp.File("meds"))
            .WithMetadata(["HOSPITAL_ADMISSION//IMP", "HOSPITAL_DISCHARGE//HOME"], [(1, "train"), (2, "train")])
            .WithShard("data/train/0.parquet",
                new RawRow(1, RawDataset.Micros(1), "HOSPITAL_ADMISSION//IMP"),
                new RawRow(2, RawDataset.Micros(2), "HOSPITAL_ADMISSION//IMP"),
                new RawRow(1, RawDataset.Micros(3), "HOSPITAL_DISCHARGE//HOME"));

        var error = Assert.Throws<MedsFormatException>(() =>
            TaskLabelExtraction.Run(MedsDatasetReader.Open(temp.File("meds")), TaskCatalog.Create(), temp.File("labels")));

        Assert.Equal(MedsIssueCodes.SubjectNotContiguous, error.Issue.Code);
    }

    [Fact]
    public void Run_OutputsAlreadyThere_ThrowsAndKeepsThem()
    {
        using var temp = new TempDirectory();
        var dataset = WriteDataset(temp.File("meds"));
        var output = temp.File("labels-out");
        var tasks = TaskCatalog.Create();
        TaskLabelExtraction.Run(dataset, tasks, output);
        var stays = TaskLabelExtraction.StaysFile(output, tasks[0]);
        var written = File.GetLastWriteTimeUtc(stays);

        var error = Assert.Throws<IOException>(() => TaskLabelExtraction.Run(dataset, tasks, output));

        Assert.Contains("already exist", error.Message, StringComparison.Ordinal);
        Assert.Equal(written, File.GetLastWriteTimeUtc(stays));
    }

    /// <summary>Subject 1 (train) dies in hospital; subject 2 (held_out) goes home, then has a stay with no discharge yet.</summary>
    private static MedsDatasetReader WriteDataset(string root)
    {
        using (var writer = new MedsDatasetWriter(root, new MedsDatasetWriterSettings { Clock = new FixedClock(DateTimeOffset.UnixEpoch) }))
        {
            writer.WriteSubject(1, [
                new MedsEvent(1, null, "GENDER//F"),
                new MedsEvent(1, s_start, "HOSPITAL_ADMISSION//IMP", EncounterId: 11),
                new MedsEvent(1, s_start.AddHours(3), "LOINC//2160-0//mg/dL", 1.4f, EncounterId: 11),
                new MedsEvent(1, s_start.AddDays(2), "MEDS_DEATH", EncounterId: 11),
                new MedsEvent(1, s_start.AddDays(2), "HOSPITAL_DISCHARGE//exp", EncounterId: 11),
            ], MedsSchema.TrainSplit);
            writer.WriteSubject(2, [
                new MedsEvent(2, s_start.AddDays(1), "HOSPITAL_ADMISSION//IMP", EncounterId: 21),
                new MedsEvent(2, s_start.AddDays(2.5), "HOSPITAL_DISCHARGE//home", EncounterId: 21),
                new MedsEvent(2, s_start.AddDays(90), "HOSPITAL_ADMISSION//IMP", EncounterId: 22),
            ], MedsSchema.HeldOutSplit);
            writer.Complete();
        }
        return MedsDatasetReader.Open(root);
    }

    private sealed class SynchronousProgress(List<TaskLabelProgress> reports) : IProgress<TaskLabelProgress>
    {
        public void Report(TaskLabelProgress value) => reports.Add(value);
    }
}
