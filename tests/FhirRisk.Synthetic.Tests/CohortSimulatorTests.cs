using System.Text.Json;
using FhirRisk.Core.Statistics;
using FhirRisk.Meds.Tasks;
using FhirRisk.Testing;

namespace FhirRisk.Synthetic.Tests;

public sealed class CohortSimulatorTests
{
    [Fact]
    public void Run_SameSeed_WritesByteIdenticalFiles_AndAnotherSeedDiffers()
    {
        using var temp = new TempDirectory("fhirrisk-simulate");
        Simulate(temp.File("a"), patients: 60, seed: 5);
        Simulate(temp.File("b"), patients: 60, seed: 5);
        Simulate(temp.File("c"), patients: 60, seed: 6);

        var names = Directory.GetFiles(temp.File("a")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["Condition.ndjson", "Encounter.ndjson", "Location.ndjson", "MedicationAdministration.ndjson", "MedicationRequest.ndjson",
            "Observation.ndjson", "Patient.ndjson", "Procedure.ndjson", "ground_truth.parquet", "manifest.json"], names);
        foreach (var name in names)
            Assert.True(File.ReadAllBytes(temp.File("a", name)).AsSpan().SequenceEqual(File.ReadAllBytes(temp.File("b", name))), name);
        Assert.False(File.ReadAllBytes(temp.File("a", "Patient.ndjson")).AsSpan().SequenceEqual(File.ReadAllBytes(temp.File("c", "Patient.ndjson"))));
    }

    [Fact]
    public void Run_ManifestAndTruthFile_AgreeWithTheSummary()
    {
        using var temp = new TempDirectory("fhirrisk-simulate");
        var summary = Simulate(temp.File("out"), patients: 300, seed: 11);

        using var manifest = JsonDocument.Parse(File.ReadAllText(temp.File("out", "manifest.json")));
        foreach (var entry in manifest.RootElement.GetProperty("output").EnumerateArray())
        {
            var type = entry.GetProperty("type").GetString()!;
            var lines = File.ReadLines(temp.File("out", entry.GetProperty("url").GetString()!)).Count();
            Assert.Equal(lines, entry.GetProperty("count").GetInt64());
            Assert.Equal(summary.Resources.Single(r => r.Type == type).Count, lines);
        }
        Assert.Equal(300, File.ReadLines(temp.File("out", "Patient.ndjson")).Count());

        var (rows, metadata) = TruthFile.Read(temp.File("out"));
        Assert.Equal("simulator-truth", metadata["fhirrisk.format"]);
        Assert.Equal("3", metadata["fhirrisk.format_version"]);
        Assert.Equal("11", metadata["fhirrisk.simulator.seed"]);
        foreach (var task in summary.Tasks)
        {
            var taskRows = rows.Where(r => r.Task == task.Task).ToList();
            Assert.Equal(task.PredictionPoints, taskRows.Count);
            Assert.Equal(task.Positives, taskRows.Count(r => r.Outcome));
            // The observable truth is in the file wherever the summary scored it, and nowhere else.
            var withObservable = taskRows.Count(r => r.ObservableProbability is not null);
            Assert.Equal(double.IsNaN(task.ObservableAuroc) ? 0 : taskRows.Count, withObservable);
            // So is the record reference, and its AUROC from the file is the summary's.
            var withRecord = taskRows.Where(r => r.RecordProbability is not null).ToList();
            Assert.Equal(double.IsNaN(task.RecordAuroc) ? 0 : taskRows.Count, withRecord.Count);
            if (withRecord.Count > 0)
                Assert.Equal(task.RecordAuroc, BinaryMetrics.Auroc([.. withRecord.Select(r => r.RecordProbability!.Value)], [.. withRecord.Select(r => r.Outcome)]), 12);
        }
        Assert.Contains(summary.Tasks, t => t.Task == TaskCatalog.HospitalMortality && !double.IsNaN(t.RecordAuroc));
        Assert.Contains(summary.Tasks, t => t.Task == TaskCatalog.HospitalMortality && !double.IsNaN(t.ObservableAuroc));
        Assert.Contains(summary.Tasks, t => t.Task == TaskCatalog.Readmission30d && double.IsNaN(t.ObservableAuroc));
        Assert.All(rows, r => Assert.InRange(r.Probability, 0, 1));
        Assert.All(rows, r => Assert.True(r.PredictionTime >= r.AdmissionTime));
        Assert.All(rows.Where(r => r.Task == TaskCatalog.HospitalMortality), r => Assert.Equal(r.AdmissionTime, r.PredictionTime));
    }

    [Fact]
    public void Run_FolderWithFiles_IsRefused()
    {
        using var temp = new TempDirectory("fhirrisk-simulate");
        File.WriteAllText(temp.File("old.txt"), "x");
        var error = Assert.Throws<IOException>(() => new CohortSimulator(new SimulationSettings { OutputFolder = temp.Path, Patients = 1 }).Run());
        Assert.Contains("is not empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_AreValidated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CohortSimulator(new SimulationSettings { OutputFolder = "x", Patients = 0 }));
        Assert.Throws<ArgumentException>(() => new CohortSimulator(new SimulationSettings { OutputFolder = "x", WindowStart = new DateTime(2020, 1, 1) }));
    }

    internal static SimulationSummary Simulate(string folder, int patients, ulong seed) =>
        new CohortSimulator(new SimulationSettings { OutputFolder = folder, Patients = patients, Seed = seed }).Run();
}
