using System.Globalization;
using System.Text.Json;
using FhirRisk.Core;
using FhirRisk.Meds;
using FhirRisk.Synthetic.Generation;
using FhirRisk.Synthetic.Generation.Reports;
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

        var prompts = StaticPrompts.Draw(tokenizer, null, 50, new Random(1), TimeSpan.FromDays(3652.5)).Prompts;

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
        var data = SampleVariants.Copy(_temp.File("damaged"));
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

    [Fact]
    public void Generate_FromTheDataTheTokenizerWasFittedOn_SaysSo_EvenRewritten()
    {
        // Review s22 generate M1: the check must not flag the model's own data. GenerationModel fits its tokenizer on the
        // sample; a rewrite of the same rows (another writer, other shards) is still that data.
        var rewritten = SampleVariants.Rewrite(_temp.File("rewritten"), _ => true);

        var original = Generate("a", seed: 3, withData: true);
        var copy = SyntheticPatientGeneration.Run(Settings("b", seed: 3, rewritten));

        foreach (var (summary, name) in new[] { (original, "a"), (copy, "b") })
        {
            var data = summary.Privacy!.TrainingData!;
            Assert.True(data.Matches, $"{data.Subjects} subjects, {data.Events} events; fitted on {data.FittedSubjects}, {data.FittedEvents}");
            Assert.True(data.Subjects > 0);
            Assert.Null(data.Warning);
            Assert.DoesNotContain(summary.Warnings, w => w.Contains("not the data", StringComparison.Ordinal));
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_temp.File(name), SyntheticPatientGeneration.ReportsFolder, PrivacyReport.JsonFile)));
            Assert.True(json.RootElement.GetProperty("training_data").GetProperty("matches_tokenizer_fit").GetBoolean());
        }
    }

    [Fact]
    public void Generate_WithOtherPatientsThanTheTokenizersFit_WarnsThatThePrivacyNumbersSayNothing()
    {
        // Review s22 generate M1: a cohort the model never saw gave a full privacy report with no warning.
        var first = MedsDatasetReader.Open(GenerationModel.Dataset).ReadSubjects().First(s => s.Split == MedsSchema.TrainSplit).SubjectId;
        var other = SampleVariants.Rewrite(_temp.File("other"), s => s.SubjectId != first);

        var summary = SyntheticPatientGeneration.Run(Settings("out", seed: 3, other));

        var data = summary.Privacy!.TrainingData!;
        Assert.False(data.Matches);
        Assert.Equal(data.FittedSubjects - 1, data.Subjects);
        Assert.Contains(summary.Warnings, w => w.Contains("not the data this model's tokenizer was fitted on", StringComparison.Ordinal)
            && w.Contains("say nothing about leakage", StringComparison.Ordinal));
        var reports = Path.Combine(_temp.File("out"), SyntheticPatientGeneration.ReportsFolder);
        Assert.Contains("**Warning: not the model's training data.**", File.ReadAllText(Path.Combine(reports, PrivacyReport.MarkdownFile)), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(reports, PrivacyReport.JsonFile)));
        var trainingData = json.RootElement.GetProperty("training_data");
        Assert.False(trainingData.GetProperty("matches_tokenizer_fit").GetBoolean());
        Assert.Equal(data.Subjects, trainingData.GetProperty("subjects").GetInt64());
        Assert.Contains("say nothing about leakage", trainingData.GetProperty("warning").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_FromDataListingHeldOutSubjectsWithoutTheirShards_ComparesWithTheTuningSplit_AndSaysWhatItIs()
    {
        // Review s22 generate L4: subject_splits.parquet named held_out, so the held-out group was that empty split.
        var data = SampleVariants.Copy(_temp.File("no-held-out"));
        System.IO.Directory.Delete(Path.Combine(data, "data", MedsSchema.HeldOutSplit), recursive: true);
        var tuning = MedsDatasetReader.Open(data).ReadSubjects(new MedsReadOptions { Splits = [MedsSchema.TuningSplit] }).Count();

        var summary = SyntheticPatientGeneration.Run(Settings("out", seed: 3, data));

        Assert.Equal(MedsSchema.TuningSplit, summary.Privacy!.HeldOutSplit);
        Assert.Equal(tuning, summary.Privacy.Groups.HeldOut);
        Assert.False(double.IsNaN(summary.Privacy.MembershipInferenceAuc));
        var markdown = File.ReadAllText(Path.Combine(_temp.File("out"), SyntheticPatientGeneration.ReportsFolder, PrivacyReport.MarkdownFile));
        Assert.Contains("the held-out group is the tuning split", markdown, StringComparison.Ordinal);
        Assert.Contains("checkpoint", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_FromData_WithASubjectOutOfTimeOrder_FailsNamingTheDatasetNotTheSubject()
    {
        // Review s22 generate M2: the tokenizer's ArgumentException escaped with the subject id in its message.
        const long Subject = 424_242_424_242;
        var data = SampleVariants.Copy(_temp.File("unsorted"));
        var t0 = new DateTime(2021, 3, 4, 10, 0, 0);
        SampleVariants.WriteRawShard(Path.Combine(data, "data", MedsSchema.TrainSplit, "2.parquet"),
            new(Subject, null, "GENDER//F"), new(Subject, t0.AddYears(-50), MedsSchema.BirthCode),
            new(Subject, t0.AddDays(3), "VISIT//AMB"), new(Subject, t0, "VISIT//AMB"));

        var error = Assert.Throws<InvalidDataException>(() => SyntheticPatientGeneration.Run(Settings("out", seed: 1, data)));

        Assert.Null(error.InnerException);
        Assert.DoesNotContain(Subject.ToString(CultureInfo.InvariantCulture), error.ToString(), StringComparison.Ordinal);
        Assert.Contains("MEDS015", error.Message, StringComparison.Ordinal);
        Assert.Contains("fhirrisk meds validate", error.Message, StringComparison.Ordinal);
        Assert.Contains(MedsSchema.TrainSplit, error.Message, StringComparison.Ordinal);
        Assert.False(System.IO.Directory.Exists(_temp.File("out")));
    }

    [Fact]
    public void Generate_FromData_WithADonorTooLateForTheTimeLimit_SkipsAndCountsIt()
    {
        // Review s22 generate L5: a train patient starting in the last quarter of 9999 crashed the quarter draw, and one a
        // little earlier would decode past DateTime.MaxValue.
        var late = new DateTime(9999, 12, 1, 0, 0, 0);
        var data = SampleVariants.Rewrite(_temp.File("late"), _ => true,
            (MedsSchema.TrainSplit, [new(900_001, null, "GENDER//F"), new(900_001, new DateTime(1950, 1, 1), MedsSchema.BirthCode), new(900_001, late, "VISIT//AMB")]),
            (MedsSchema.TrainSplit, [new(900_002, null, "GENDER//M"), new(900_002, new DateTime(1950, 1, 1), MedsSchema.BirthCode), new(900_002, new DateTime(9995, 2, 1), "VISIT//AMB")]));

        var summary = SyntheticPatientGeneration.Run(Settings("out", seed: 1, data) with { Patients = 60 });

        Assert.Contains(summary.Warnings, w => w.StartsWith("2 train patient(s) start too late", StringComparison.Ordinal));
        Assert.True(summary.Patients > 0);
        Assert.All(MedsDatasetReader.Open(Path.Combine(_temp.File("out"), SyntheticPatientGeneration.MedsFolder)).ReadEvents(),
            e => Assert.True(e.Time is null || e.Time.Value.Year < 9000, e.Time.ToString()));
    }

    [Theory]
    [InlineData(9999, 12, 31, 1, false)]
    [InlineData(9999, 10, 1, 1, false)]
    [InlineData(9999, 9, 30, 1, true)]
    [InlineData(9999, 7, 1, 92, true)]
    [InlineData(9999, 7, 1, 93, false)]
    [InlineData(9989, 10, 1, 3652, true)]
    [InlineData(9989, 10, 1, 3653, false)]
    public void Donors_LeaveRoomForTheTimeLimit_OnlyWhenTheirWholeQuarterDoes(int year, int month, int day, int limitDays, bool fits)
    {
        var time = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);

        Assert.Equal(fits, StaticPrompts.LeavesRoomFor(time, TimeSpan.FromDays(limitDays)));
        var drawn = StaticPrompts.WithinQuarter(time, new Random(1));
        Assert.Equal((time.Year, (time.Month - 1) / 3), (drawn.Year, (drawn.Month - 1) / 3));
    }

    [Fact]
    public void Generate_NoPatientAtAll_Fails_AndKeepsTheEmptyFolderItWasGiven()
    {
        // Review s22 generate L3: the CLI deleted a user's empty --out folder when no patient was generated.
        var output = _temp.File("mine");
        System.IO.Directory.CreateDirectory(output);

        var error = Assert.Throws<NoPatientGeneratedException>(() => SyntheticPatientGeneration.Run(Settings("mine", seed: 1, null) with { MaxNewTokens = 1, Patients = 2 }));

        Assert.Equal(2, error.Empty + error.NoEncounter);
        Assert.True(System.IO.Directory.Exists(output));
        Assert.Empty(System.IO.Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public void Generate_CountsEndedAndDroppedOnlyForThePatientsWritten()
    {
        // Review s22 generate L6: a patient left out for opening no encounter added all its events to "dropped" and its
        // TIMELINE_END to "ended". With one token per rollout a written patient's only event opens its encounter: none
        // was trimmed or ended by the model, while the left-out ones had an event each.
        var summary = SyntheticPatientGeneration.Run(Settings("out", seed: 2, null) with { MaxNewTokens = 1, Patients = 120 });

        Assert.True(summary.Patients > 0);
        Assert.True(summary.Timelines.NoEncounter > 0);
        Assert.Equal(0, summary.Timelines.Trimmed);
        Assert.Equal(0, summary.Timelines.EventsDropped);
        Assert.Equal(0, summary.Ended);
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
