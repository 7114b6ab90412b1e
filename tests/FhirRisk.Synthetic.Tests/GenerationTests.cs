using FhirRisk.Meds;
using FhirRisk.Synthetic.Generation;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;

namespace FhirRisk.Synthetic.Tests;

/// <summary>Synthetic patients from a model: MEDS, FHIR and the reports, reproducible by seed.</summary>
public sealed class GenerationTests : IDisposable
{
    private readonly TempDirectory _temp = new("fhirrisk-generate");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Generate_FromTheTrainingData_WritesMedsFhirAndBothReports()
    {
        var summary = Generate("out", seed: 3, withData: true);

        var output = _temp.File("out");
        var subjects = MedsDatasetReader.Open(Path.Combine(output, SyntheticPatientGeneration.MedsFolder)).ReadSubjects().ToList();
        Assert.Equal(summary.Patients, subjects.Count);
        Assert.Equal(24, summary.Patients + summary.Empty);
        Assert.All(subjects, s => Assert.Equal(MedsSchema.TrainSplit, s.Split));
        Assert.True(summary.Tokens > 0);
        Assert.True(File.Exists(Path.Combine(output, SyntheticPatientGeneration.FhirFolder, "manifest.json")));
        Assert.Equal(summary.Patients, File.ReadLines(Path.Combine(output, SyntheticPatientGeneration.FhirFolder, "Patient.ndjson")).Count());
        foreach (var file in new[] { "fidelity.md", "fidelity.json", "privacy.md", "privacy.json", "plots/age.png", "plots/length-of-stay.png", "plots/code-frequency.png" })
            Assert.True(File.Exists(Path.Combine(output, SyntheticPatientGeneration.ReportsFolder, file)), file);
        var fidelity = summary.Fidelity!;
        Assert.Equal(summary.Patients, fidelity.SyntheticPatients);
        Assert.True(fidelity.TrainPatients > 0);
        Assert.InRange(fidelity.FrequencyCorrelation, -1, 1);
        Assert.Equal(summary.Patients, summary.Privacy!.Synthetic);
        Assert.True(summary.Privacy.HeldOut > 0);
        Assert.InRange(summary.Privacy.MembershipInferenceAuc, 0, 1);
    }

    [Fact]
    public void Generate_SameSeed_SamePatients_OtherSeed_OtherPatients()
    {
        Generate("a", seed: 9, withData: false);
        Generate("b", seed: 9, withData: false);
        Generate("c", seed: 10, withData: false);

        Assert.Equal(Events("a"), Events("b"));
        Assert.NotEqual(Events("a"), Events("c"));
        Assert.False(System.IO.Directory.Exists(Path.Combine(_temp.File("a"), SyntheticPatientGeneration.ReportsFolder)));
    }

    [Fact]
    public void Prompts_WithoutData_DrawEachStaticFieldFromTheTokenizersValues()
    {
        var tokenizer = TimelineTokenizer.Load(GenerationModel.Directory);

        var prompts = StaticPrompts.Draw(tokenizer, null, 50, new Random(1));

        var vocabulary = tokenizer.Vocabulary;
        Assert.All(prompts, p =>
        {
            Assert.Equal(tokenizer.PrefixLength, p.Prefix.Length);
            Assert.StartsWith("GENDER//", vocabulary[p.Prefix[0]], StringComparison.Ordinal);
            Assert.Matches("^Q([1-9]|10)$", vocabulary[p.Prefix[1]]);
            Assert.Equal(2020, p.Start.Year);
        });
        var genders = prompts.Select(p => vocabulary[p.Prefix[0]]).Distinct().ToArray();
        Assert.True(genders.Length >= 2, string.Join(", ", genders));
    }

    [Fact]
    public void Generate_IntoAFolderWithFiles_IsRefused()
    {
        var output = _temp.File("taken");
        System.IO.Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "x.txt"), "x");

        var error = Assert.Throws<IOException>(() => Generate("taken", seed: 1, withData: false));

        Assert.Contains("is not empty", error.Message, StringComparison.Ordinal);
    }

    private GenerationSummary Generate(string name, ulong seed, bool withData) => SyntheticPatientGeneration.Run(new GenerationSettings
    {
        ModelDirectory = GenerationModel.Directory,
        OutputFolder = _temp.File(name),
        Patients = 24,
        Seed = seed,
        Dataset = withData ? GenerationModel.Dataset : null,
        MaxNewTokens = 48,
        Threads = 1,
    });

    private string[] Events(string name) =>
        [.. MedsDatasetReader.Open(Path.Combine(_temp.File(name), SyntheticPatientGeneration.MedsFolder)).ReadEvents().Select(e => e.ToString())];
}
