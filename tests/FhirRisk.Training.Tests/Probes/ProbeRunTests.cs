using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model;
using FhirRisk.Testing;
using FhirRisk.Training.Baselines;
using FhirRisk.Training.Evaluation;
using FhirRisk.Training.Linear;
using FhirRisk.Training.Probes;

namespace FhirRisk.Training.Tests.Probes;

/// <summary>
/// Whole probe runs on samples/meds-demo (12 subjects: 8 train, 2 tuning, 2 held out; 12 admissions, 5 of them
/// positive for <c>composite</c>, none for <c>prolonged_los</c>), labeled by <see cref="TaskLabelExtraction"/>.
/// </summary>
public sealed class ProbeRunTests : IDisposable
{
    private static readonly string[] Tasks = [TaskCatalog.Composite, TaskCatalog.IcuAdmission, TaskCatalog.ProlongedLos];
    private static readonly ProbeSettings Settings = new() { Search = new RegularizationSearchSettings { Parallelism = 1 } };

    private readonly TempDirectory _temp = new();
    private readonly MedsDatasetReader _dataset = MedsDatasetReader.Open(TinyProbeModel.Sample);
    private readonly IReadOnlyList<TaskLabelSet> _labels;

    public ProbeRunTests()
    {
        var labels = _temp.File("labels");
        TaskLabelExtraction.Run(_dataset, [.. TaskCatalog.Create().Where(t => Tasks.Contains(t.Name))], labels);
        _labels = [.. Tasks.Select(t => TaskLabelSet.Read(labels, t))];
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void CountBaseline_PredictsEveryHeldOutPointOfEachFittableTask()
    {
        var vocabulary = CodeCountVocabulary.Fit(_dataset, new CodeCountSettings { MinCount = 1 });

        var result = ProbeRun.Run(_dataset, _labels, new CodeCountFeaturizer(vocabulary), Settings);

        Assert.Equal(CodeCountFeaturizer.MethodName, result.Method);
        Assert.Equal(vocabulary.Features.Count, result.FeatureColumns);
        // The three tasks share the admission points, so each point is featurized once.
        Assert.Equal(_labels[0].Labels.Count, result.Points);
        AssertPredictionsMatchTheHeldOutLabels(result, TaskCatalog.Composite);
        AssertPredictionsMatchTheHeldOutLabels(result, TaskCatalog.IcuAdmission);
        var skipped = result.Tasks.Single(t => t.Task == TaskCatalog.ProlongedLos);
        Assert.StartsWith("no positive label", skipped.SkipReason, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Predictions, p => p.Task == TaskCatalog.ProlongedLos);
    }

    [Fact]
    public void Probe_OnATinyModel_PredictsTheHeldOutPoints_Deterministically()
    {
        var model = ProbeModel.Load(TinyProbeModel.Create(_temp.File("model")));
        var embedding = new EmbeddingSettings { Compute = ComputeOptions.SingleThreaded };

        var first = ProbeRun.Run(_dataset, _labels, new EmbeddingFeaturizer(model, embedding), Settings);
        var second = ProbeRun.Run(_dataset, _labels, new EmbeddingFeaturizer(model, embedding), Settings);

        Assert.Equal(EmbeddingFeaturizer.MethodName, first.Method);
        Assert.Equal(model.Parameters.Config.Channels, first.FeatureColumns);
        AssertPredictionsMatchTheHeldOutLabels(first, TaskCatalog.Composite);
        Assert.Equal(first.Predictions, second.Predictions);
        var composite = first.Tasks.Single(t => t.Task == TaskCatalog.Composite);
        Assert.Equal(composite.Train.Points + composite.Tuning.Points, first.Fits.Single(f => f.Task == TaskCatalog.Composite).Examples);
    }

    [Fact]
    public void FewShot_AddsOneRunPerKAndReplicate_BesideTheAllDataRun()
    {
        var vocabulary = CodeCountVocabulary.Fit(_dataset, new CodeCountSettings { MinCount = 1 });
        var settings = Settings with { FewShot = new FewShotSettings { Shots = [1, 2], Replicates = 2 } };

        var result = ProbeRun.Run(_dataset, [_labels[0]], new CodeCountFeaturizer(vocabulary), settings);

        var test = result.Tasks[0].Test.Points;
        Assert.Equal(5, result.Fits.Count);
        Assert.Equal(5 * test, result.Predictions.Count);
        Assert.Equal([null, 1, 2], result.Predictions.Select(p => p.KShot).Distinct().Order());
        // k = 1 gives one example per class: too few patients per class to cross-validate.
        Assert.All(result.Fits.Where(f => f.KShot == 1), f => Assert.Equal(0, f.Folds));
    }

    [Fact]
    public void Outputs_RoundTripThroughThePredictionsFile_AndRefuseToOverwrite()
    {
        var vocabulary = CodeCountVocabulary.Fit(_dataset, new CodeCountSettings { MinCount = 1 });
        var result = ProbeRun.Run(_dataset, _labels, new CodeCountFeaturizer(vocabulary), Settings);
        var folder = _temp.File("out");

        ProbeOutputs.EnsureFree(folder, result.Method);
        ProbeOutputs.Write(folder, result);

        Assert.Equal(result.Predictions, PredictionsFile.Read(ProbeOutputs.PredictionsFile(folder, result.Method)));
        Assert.Contains("\"skip_reason\"", File.ReadAllText(ProbeOutputs.FitsFile(folder, result.Method)), StringComparison.Ordinal);
        Assert.Equal(ProbeErrorCodes.OutputExists, Assert.Throws<TrainingException>(() => ProbeOutputs.EnsureFree(folder, result.Method)).Code);
    }

    [Fact]
    public void Outputs_AFailedWrite_KeepsNeitherFile_SoTheSameCommandRunsAgain()
    {
        // Review s22 trainer M2: the predictions stayed when the fits could not be written, for evaluate to take as a
        // finished run and for the retry to refuse. A folder where the fits' partial file goes makes its write fail.
        var vocabulary = CodeCountVocabulary.Fit(_dataset, new CodeCountSettings { MinCount = 1 });
        var result = ProbeRun.Run(_dataset, _labels, new CodeCountFeaturizer(vocabulary), Settings);
        var folder = _temp.File("blocked");
        Directory.CreateDirectory(ProbeOutputs.FitsFile(folder, result.Method) + ".partial");

        var error = Assert.Throws<TrainingException>(() => ProbeOutputs.Write(folder, result));

        Assert.Equal(ProbeErrorCodes.SaveFailed, error.Code);
        Assert.Contains("Hint: free space", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(ProbeOutputs.PredictionsFile(folder, result.Method)));
        Assert.False(File.Exists(ProbeOutputs.PredictionsFile(folder, result.Method) + ".partial"));
        Directory.Delete(ProbeOutputs.FitsFile(folder, result.Method) + ".partial");
        ProbeOutputs.EnsureFree(folder, result.Method);
        ProbeOutputs.Write(folder, result);
        Assert.True(File.Exists(ProbeOutputs.FitsFile(folder, result.Method)));
    }

    [Fact]
    public void Labels_OfAnUnknownTaskFolder_FailWithAHint()
    {
        var error = Assert.Throws<TrainingException>(() => TaskLabelSet.Read(_temp.File("labels"), TaskCatalog.Readmission30d));

        Assert.Equal(ProbeErrorCodes.NoLabels, error.Code);
        Assert.Contains("fhirrisk labels", error.Message, StringComparison.Ordinal);
        var typo = Assert.Throws<TrainingException>(() => TaskLabelSet.Read(_temp.File("labels"), "readmission_30"));
        Assert.Contains("'readmission_30' is not a catalog task", typo.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Labels_OfSubjectsNotInTheDataset_FailClearly()
    {
        var strangers = new TaskLabelSet("composite", "labels", [new MedsLabel(999_999, new DateTime(2020, 1, 1), true)]);

        var error = Assert.Throws<TrainingException>(() => ProbeRun.Run(_dataset, [strangers], new CodeCountFeaturizer(CodeCountVocabulary.Fit(["A//1"], new CodeCountSettings { MinCount = 1 })), Settings));

        Assert.Equal(ProbeErrorCodes.NoLabels, error.Code);
    }

    private void AssertPredictionsMatchTheHeldOutLabels(ProbeResult result, string task)
    {
        var heldOut = _dataset.ReadSubjects(new MedsReadOptions { Splits = [MedsSchema.HeldOutSplit], Columns = MedsEventColumns.None })
            .Select(s => s.SubjectId).ToHashSet();
        var expected = _labels.Single(l => l.Task == task).Labels.Where(l => heldOut.Contains(l.SubjectId))
            .Select(l => (l.SubjectId, l.PredictionTime, l.BooleanValue!.Value)).Order().ToArray();
        var rows = result.Predictions.Where(p => p.Task == task).ToArray();

        Assert.NotEmpty(expected);
        Assert.Equal(expected, rows.Select(p => (p.SubjectId, p.PredictionTime, p.Label)).Order());
        Assert.All(rows, p =>
        {
            Assert.Equal(result.Method, p.Method);
            Assert.InRange(p.Probability, 0, 1);
            Assert.Null(p.KShot);
        });
    }
}
