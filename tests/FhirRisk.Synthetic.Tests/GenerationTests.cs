using FhirRisk.Core;
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
        Assert.Equal(24, summary.Patients + summary.Empty + summary.Timelines.NoEncounter);
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
        Assert.Equal(summary.Patients, summary.Privacy!.Groups.Synthetic);
        Assert.True(summary.Privacy.Groups.HeldOut > 0);
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

        var error = Assert.Throws<GenerationOutputException>(() => Generate("taken", seed: 1, withData: false));

        Assert.Contains("is not empty", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hint", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Generate_IntoAFile_IsRefused()
    {
        File.WriteAllText(_temp.File("afile"), "x");

        var error = Assert.Throws<GenerationOutputException>(() => Generate("afile", seed: 1, withData: false));

        Assert.Contains("is a file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_WithADamagedHeldOutSplit_FailsBeforeGenerating_AndLeavesNothingBehind()
    {
        var data = _temp.File("damaged");
        CopyFolder(GenerationModel.Dataset, data);
        var shard = System.IO.Directory.GetFiles(Path.Combine(data, "data", MedsSchema.HeldOutSplit), "*.parquet")[0];
        File.WriteAllBytes(shard, File.ReadAllBytes(shard)[..200]);
        var stages = new List<string>();

        Assert.ThrowsAny<Exception>(() => SyntheticPatientGeneration.Run(Settings("out", seed: 1, data), new Progress(stages)));

        Assert.DoesNotContain("generating", stages);
        Assert.False(System.IO.Directory.Exists(_temp.File("out")));
        Generate("out", seed: 1, withData: true);
    }

    [Fact]
    public void Generate_Cancelled_RemovesWhatItWrote()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new Progress([], onGenerating: cancel.Cancel);

        Assert.ThrowsAny<OperationCanceledException>(() => SyntheticPatientGeneration.Run(Settings("out", seed: 1, null) with { Patients = 300 }, progress, cancel.Token));

        Assert.False(System.IO.Directory.Exists(_temp.File("out")));
    }

    [Fact]
    public void Generate_SameSeedAndCreatedAt_IsByteIdentical()
    {
        var clock = new FixedClock(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        SyntheticPatientGeneration.Run(Settings("a", seed: 5, GenerationModel.Dataset) with { Clock = clock });
        SyntheticPatientGeneration.Run(Settings("b", seed: 5, GenerationModel.Dataset) with { Clock = clock });

        foreach (var part in new[] { SyntheticPatientGeneration.MedsFolder, SyntheticPatientGeneration.FhirFolder })
        {
            var files = System.IO.Directory.GetFiles(Path.Combine(_temp.File("a"), part), "*", SearchOption.AllDirectories);
            Assert.NotEmpty(files);
            Assert.All(files, file => Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(file.Replace(_temp.File("a"), _temp.File("b"), StringComparison.Ordinal))));
        }
        Assert.Contains("2026-01-02T03:04:05", File.ReadAllText(Path.Combine(_temp.File("a"), SyntheticPatientGeneration.FhirFolder, "manifest.json")), StringComparison.Ordinal);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in System.IO.Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>Records the stages, synchronously (unlike <see cref="Progress{T}"/>).</summary>
    private sealed class Progress(List<string> stages, Action? onGenerating = null) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value)
        {
            stages.Add(value.Stage);
            if (value.Stage == "generating")
                onGenerating?.Invoke();
        }
    }

    private GenerationSummary Generate(string name, ulong seed, bool withData) =>
        SyntheticPatientGeneration.Run(Settings(name, seed, withData ? GenerationModel.Dataset : null));

    private GenerationSettings Settings(string name, ulong seed, string? dataset) => new()
    {
        ModelDirectory = GenerationModel.Directory,
        OutputFolder = _temp.File(name),
        Patients = 24,
        Seed = seed,
        Dataset = dataset,
        MaxNewTokens = 48,
        Threads = 1,
    };

    private string[] Events(string name) =>
        [.. MedsDatasetReader.Open(Path.Combine(_temp.File(name), SyntheticPatientGeneration.MedsFolder)).ReadEvents().Select(e => e.ToString())];
}
