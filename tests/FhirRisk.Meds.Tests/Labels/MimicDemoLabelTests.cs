using System.Globalization;
using FhirRisk.Meds.Internal;
using FhirRisk.Meds.Tasks;
using FhirRisk.Testing;
using Xunit.Abstractions;

namespace FhirRisk.Meds.Tests.Labels;

/// <summary>
/// Labels of the official MIMIC-IV demo MEDS shards (20 subjects: tuning + held_out) against labels computed
/// independently in SQL by DuckDB from the shards' <c>hadm_id</c>/<c>icustay_id</c> columns, which our timeline
/// evaluator never reads: a different route to the same definitions.
/// </summary>
public sealed class MimicDemoLabelTests(ITestOutputHelper output)
{
    [ExternalDataFact]
    public void Extract_MimicDemo_EveryLabelAgreesWithTheHadmIdComputation()
    {
        using var temp = new TempDirectory();
        var tasks = TaskCatalog.Create();
        var summaries = TaskLabelExtraction.Run(MedsDatasetReader.Open(RealDatasets.MimicDemo), tasks, temp.Path);
        var expected = MimicDemoReferenceLabels.Compute(RealDatasets.MimicDemo);

        foreach (var summary in summaries)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{summary.Task,-20} points {summary.Points,3} labeled {summary.Labeled,3} positives {summary.Positives,3} prevalence {summary.Prevalence:P1}"));
        }
        foreach (var task in tasks)
        {
            var ours = StayOutcomeTable.Read(TaskLabelExtraction.StaysFile(temp.Path, task))
                .Select(r => (r.SubjectId, MedsTime.ToMicroseconds(r.PredictionTime), r.Outcome.Label))
                .Order()
                .ToArray();
            var theirs = expected.Where(e => e.Task == task.Name).Select(e => (e.SubjectId, e.PredictionTime, (bool?)e.Label)).Order().ToArray();
            Assert.True(theirs.SequenceEqual(ours), $"{task.Name}: ours {Describe(ours)} vs SQL {Describe(theirs)}");
        }
    }

    [ExternalDataFact]
    public void Extract_MimicDemo_CountsArePlausible()
    {
        using var temp = new TempDirectory();
        var summaries = TaskLabelExtraction.Run(MedsDatasetReader.Open(RealDatasets.MimicDemo), TaskCatalog.Create(), temp.Path)
            .ToDictionary(s => s.Task);

        // 37 admissions (37 HOSPITAL_ADMISSION rows), 3 of them ending in death; 27 ICU stays; 20 ED visits, all admitted.
        Assert.Equal(37, summaries[TaskCatalog.HospitalMortality].Labeled);
        Assert.Equal(3, summaries[TaskCatalog.HospitalMortality].Positives);
        Assert.Equal(34, summaries[TaskCatalog.Readmission30d].Points);
        Assert.Equal(27, summaries[TaskCatalog.IcuMortality].Points);
        Assert.Equal(20, summaries[TaskCatalog.EdHospitalization].Positives);
        Assert.Equal(0, summaries[TaskCatalog.EdReattendance72h].Points);
        // Every demo patient had an ICU stay, so ICU admission is common; the composite covers at least as much as any part.
        var composite = summaries[TaskCatalog.Composite].Positives;
        Assert.InRange(summaries[TaskCatalog.IcuAdmission].Prevalence, 0.4, 0.8);
        Assert.True(composite >= new[] { TaskCatalog.HospitalMortality, TaskCatalog.IcuAdmission, TaskCatalog.ProlongedLos }.Max(t => summaries[t].Positives));
        Assert.All(summaries.Values, s => Assert.Equal(0, s.Unresolved + s.KnownAtPrediction));
    }

    [ExternalDataFact]
    public void Extract_MimicDemo_LabelFilesMirrorTheShardsAndHoldTheLabeledPoints()
    {
        using var temp = new TempDirectory();
        var dataset = MedsDatasetReader.Open(RealDatasets.MimicDemo);
        var task = TaskCatalog.Create().Single(t => t.Name == TaskCatalog.HospitalMortality);

        TaskLabelExtraction.Run(dataset, [task], temp.Path);

        var folder = TaskLabelExtraction.TaskLabelFolder(temp.Path, task);
        Assert.True(File.Exists(Path.Combine(folder, "tuning", "0.parquet")));
        Assert.True(File.Exists(Path.Combine(folder, "held_out", "0.parquet")));
        var labels = MedsLabels.ReadTask(folder);
        var stays = StayOutcomeTable.Read(TaskLabelExtraction.StaysFile(temp.Path, task));
        Assert.Equal(stays.Select(s => s.ToMedsLabel()!.Value).OrderBy(l => (l.SubjectId, l.PredictionTime)), labels.OrderBy(l => (l.SubjectId, l.PredictionTime)));
    }

    private static string Describe(IEnumerable<(long Subject, long Time, bool? Label)> rows) =>
        string.Join("; ", rows.Select(r => $"{r.Subject}@{r.Time}={r.Label?.ToString() ?? "null"}"));
}
