using System.Text.Json;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Finetuning;
using FhirRisk.Training.Tests.Pretraining;

namespace FhirRisk.Training.Tests.Finetuning;

/// <summary>Label files joined to token shards, then a whole run saved as a model directory and loaded back.</summary>
public sealed class FinetuningDatasetTests
{
    private const string Mortality = "hospital_mortality";
    private const string Icu = "icu_admission";
    private static readonly DateTime Start = new(2020, 1, 1, 8, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Labels_of_several_tasks_become_one_point_each_with_masks_and_the_context_up_to_the_time()
    {
        using var folder = new TempDirectory();
        var (tokenizer, tokens) = TokenData.Write(folder.Path, [20, 20, 20, 20], [20, 20]);
        var labels = WriteLabels(folder.File("labels"), subjects: 6, icuEvery: 2);

        var loaded = FinetuningDataset.Load(tokenizer, tokens, labels, [Mortality, Icu], contextLength: 14);

        Assert.Equal([Mortality, Icu], loaded.Data.Tasks);
        Assert.Equal(8, loaded.Data.Train.Count);   // subjects 1–4, events 5 and 15
        Assert.Equal(4, loaded.Data.Tuning.Count);  // subjects 5–6
        Assert.Equal((0, 0), (loaded.UnmatchedPoints, loaded.EarlyPoints));
        var point = loaded.Data.Train[0];
        Assert.Equal(1L, point.SubjectId);
        Assert.Equal([1, PromptedExample.Masked], point.Labels);
        Assert.Equal([0, PromptedExample.Masked], loaded.Data.Train[2].Labels); // subject 2, event 5
        Assert.Equal([0, 0], loaded.Data.Train[3].Labels);                      // subject 2, event 15

        // The context is the static prefix then the timeline through the code of event 5 (subject 1 cycles A…E from B, so event 4 is A).
        Assert.Equal(12, point.Context.Length);
        var decoded = tokenizer.Decode(point.Context.AsSpan(tokenizer.PrefixLength), 1, Start).Select(e => e.Code).ToArray();
        Assert.Equal("LAB//B", decoded[^1]);
        Assert.Equal("LAB//A", decoded[^2]);
    }

    [Fact]
    public void A_named_task_with_one_class_is_an_error_and_all_skips_it()
    {
        using var folder = new TempDirectory();
        var (tokenizer, tokens) = TokenData.Write(folder.Path, [20, 20], [20]);
        var labels = WriteLabels(folder.File("labels"), subjects: 3, icuEvery: 1, icuAlways: true);

        var error = Assert.Throws<TrainingException>(() => FinetuningDataset.Load(tokenizer, tokens, labels, [Icu], 14));
        Assert.Equal(FinetuningErrorCodes.SingleClassTask, error.Code);
        Assert.Contains("--tasks", error.Message);

        var all = FinetuningDataset.Load(tokenizer, tokens, labels, tasks: null, 14);
        Assert.Equal([Mortality], all.Data.Tasks);
        Assert.Contains(all.Skipped, s => s.StartsWith(Icu, StringComparison.Ordinal));
        Assert.Contains(all.Skipped, s => s == "prolonged_los: no label files");

        var unknown = Assert.Throws<TrainingException>(() => FinetuningDataset.Load(tokenizer, tokens, labels, ["prolonged_los"], 14));
        Assert.Equal(FinetuningErrorCodes.NoLabels, unknown.Code);
        Assert.Contains("fhirrisk labels <meds-dir> --task prolonged_los", unknown.Message);

        // A misspelt name is not told to label a task that does not exist: it gets the catalog and where its own labels would go.
        var typo = Assert.Throws<TrainingException>(() => FinetuningDataset.Load(tokenizer, tokens, labels, ["hospital_mortalty"], 14));
        Assert.Equal(FinetuningErrorCodes.NoLabels, typo.Code);
        Assert.Contains("'hospital_mortalty' is not a catalog task (hospital_mortality,", typo.Message);
        Assert.DoesNotContain("fhirrisk labels", typo.Message);
    }

    [Fact]
    public void Scoring_points_of_every_split_need_no_train_split_nor_two_classes_and_mask_the_tasks_not_scored()
    {
        using var folder = new TempDirectory();
        var (tokenizer, tokens) = TokenData.Write(folder.Path, [20, 20], [20]);
        var labels = WriteLabels(folder.File("labels"), subjects: 3, icuEvery: 1, icuAlways: true);
        string[] prompt = [Icu, "prolonged_los", Mortality];

        var all = FinetuningDataset.LoadForScoring(tokenizer, tokens, labels, prompt, [Icu, "prolonged_los"], contextLength: 16, splits: null);
        var tuning = FinetuningDataset.LoadForScoring(tokenizer, tokens, labels, prompt, prompt, contextLength: 16, [MedsSchema.TuningSplit]);

        Assert.Equal(3, all.Points.Count);   // one ICU label per subject (all positive), train and tuning alike
        Assert.All(all.Points, p => Assert.Equal([1, PromptedExample.Masked, PromptedExample.Masked], p.Labels));
        Assert.Equal(["prolonged_los"], all.TasksWithoutLabels);
        Assert.Equal((0, 0), (all.UnmatchedPoints, all.EarlyPoints));
        Assert.All(all.Points, p => Assert.True(p.Context.Length <= 16 - prompt.Length));
        Assert.Equal([3L, 3L], tuning.Points.Select(p => p.SubjectId));
        Assert.Equal(4, tuning.UnmatchedPoints); // the train subjects' mortality and ICU points
    }

    [Fact]
    public void A_finetuned_model_directory_loads_back_with_its_task_tokens()
    {
        using var folder = new TempDirectory();
        var (tokenizer, tokens) = TokenData.Write(folder.Path, [20, 20, 20, 20], [20, 20]);
        var labels = WriteLabels(folder.File("labels"), subjects: 6, icuEvery: 2);
        var pretrained = GptParameters.Initialize(new GptConfig(tokenizer.Vocabulary.Count, 1, 2, 8, 16), seed: 1);
        var loaded = FinetuningDataset.Load(tokenizer, tokens, labels, null, contextLength: 16);
        var heads = new TaskHeads(loaded.Data.Tasks, 8, tokenizer.Vocabulary.Count, tokenizer.Vocabulary.Fingerprint);
        var settings = new FinetuningSettings { Steps = 5, BatchSize = 4, WarmupSteps = 1, Threads = 1 };
        var result = MultitaskFinetuner.Run(pretrained, heads, loaded.Data, settings);

        var output = folder.File("model");
        FinetunedModel.Save(output, tokenizer, result, settings, TaskParameters.Default);

        var reloaded = TaskHeads.Load(output);
        Assert.Equal(loaded.Data.Tasks, reloaded.Tasks);
        Assert.Equal(tokenizer.Vocabulary.Fingerprint, reloaded.TokenizerFingerprint);
        Assert.Equal(reloaded.ModelVocabularySize, GptCheckpoint.Load(output).Config.VocabSize);
        Assert.Equal(tokenizer.Vocabulary.Fingerprint, TimelineTokenizer.Load(output).Vocabulary.Fingerprint);
        Assert.True(File.Exists(Path.Combine(output, FinetunedModel.RecordFile)));

        var again = Assert.Throws<TrainingException>(() => FinetunedModel.Save(output, tokenizer, result, settings, TaskParameters.Default));
        Assert.Equal(FinetuningErrorCodes.OutputNotEmpty, again.Code);

        // An --out that is a symbolic link to an empty folder (a mounted volume is the same case: it cannot be replaced)
        // is written through: the link stays a link, and the model is in its target.
        if (OperatingSystem.IsWindows())
            return;
        var target = folder.File("volume");
        Directory.CreateDirectory(target);
        var link = folder.File("linked");
        Directory.CreateSymbolicLink(link, target);
        FinetunedModel.Save(link, tokenizer, result, settings, TaskParameters.Default);
        Assert.NotNull(new DirectoryInfo(link).LinkTarget);
        Assert.Equal(Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            Directory.GetFiles(target).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(File.ReadAllBytes(Path.Combine(output, "heads.json")), File.ReadAllBytes(Path.Combine(target, "heads.json")));
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path, "*.partial"));
    }

    [Fact]
    public void History_codes_end_each_context_with_the_categories_charted_up_to_the_point_and_are_saved_with_the_heads()
    {
        using var folder = new TempDirectory();
        string[] codes = ["ICD10CM//I10", "LAB//B", "LAB//C", "ICD10CM//E11.9", "LAB//E", "LAB//F", "LAB//G"];
        var (tokenizer, tokens) = TokenData.Write(folder.Path, [20, 20, 20, 20], [20, 20], codes);
        var labels = WriteLabels(folder.File("labels"), subjects: 6, icuEvery: 2);
        var (hypertension, diabetes) = (tokenizer.Vocabulary.IdOf("ICD10CM//I10"), tokenizer.Vocabulary.IdOf("ICD10CM//E11"));

        var plain = FinetuningDataset.Load(tokenizer, tokens, labels, [Mortality, Icu], contextLength: 14);
        var history = FinetuningDataset.Load(tokenizer, tokens, labels, [Mortality, Icu], contextLength: 14, historyCodes: 4);
        var scoring = FinetuningDataset.LoadForScoring(tokenizer, tokens, labels, [Mortality, Icu], [Mortality], contextLength: 14, splits: null, historyCodes: 4);

        // Subject 1 cycles from B: I10 is charted at event 6, E11.9 at event 2, so the event-5 point knows E11 only and
        // the event-15 point both, I10 last (event 13 against event 9).
        Assert.Equal([diabetes], history.Data.Train[0].Context[^1..]);
        Assert.Equal([diabetes, hypertension], history.Data.Train[1].Context[^2..]);
        Assert.All(history.Data.Train.Concat(history.Data.Tuning), p => Assert.True(p.Context.Length <= 14 - 2));
        var recent = history.Data.Train[1].Context[tokenizer.PrefixLength..^2]; // the block's two ids come out of the timeline's share
        Assert.Equal(plain.Data.Train[1].Context.Length - tokenizer.PrefixLength - 2, recent.Length);
        Assert.Equal(plain.Data.Train[1].Context[^recent.Length..], recent);
        Assert.Equal(history.Data.Train.Concat(history.Data.Tuning).Select(p => p.Context), scoring.Points.Where(p => p.Labels[0] != PromptedExample.Masked).Select(p => p.Context));
        Assert.Equal([1, 2], history.Data.Train.Take(2).Select(p => p.HistoryLength));
        Assert.All(plain.Data.Train, p => Assert.Equal(0, p.HistoryLength));
        Assert.All(history.Data.Train.Concat(plain.Data.Train), p => Assert.Equal(tokenizer.PrefixLength, p.TimelineStart));

        var tooMany = Assert.Throws<ArgumentException>(() => FinetuningDataset.Load(tokenizer, tokens, labels, [Mortality, Icu], 14, historyCodes: 12 - tokenizer.PrefixLength));
        Assert.Contains("fewer history codes", tooMany.Message, StringComparison.Ordinal);

        var pretrained = GptParameters.Initialize(new GptConfig(tokenizer.Vocabulary.Count, 1, 2, 8, 14), seed: 1);
        var settings = new FinetuningSettings { Steps = 3, BatchSize = 4, WarmupSteps = 1, Threads = 1, HistoryCodes = 4, LanguageModelLoss = true };
        var mismatched = new TaskHeads(history.Data.Tasks, 8, tokenizer.Vocabulary.Count, tokenizer.Vocabulary.Fingerprint);
        Assert.Throws<ArgumentException>(() => MultitaskFinetuner.Run(pretrained, mismatched, history.Data, settings));
        var heads = new TaskHeads(history.Data.Tasks, 8, tokenizer.Vocabulary.Count, tokenizer.Vocabulary.Fingerprint, settings.HistoryCodes);
        var output = folder.File("model");
        FinetunedModel.Save(output, tokenizer, MultitaskFinetuner.Run(pretrained, heads, history.Data, settings), settings, TaskParameters.Default);

        Assert.Equal(4, TaskHeads.Load(output).HistoryCodes);
        using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, FinetunedModel.RecordFile)));
        Assert.Equal(4, record.RootElement.GetProperty("settings").GetProperty("history_codes").GetInt32());
        Assert.True(record.RootElement.GetProperty("settings").GetProperty("language_model_loss").GetBoolean());
        Assert.True(record.RootElement.GetProperty("last_language_model_loss").GetDouble() > 0);
    }

    /// <summary>
    /// <c>labels/&lt;task&gt;/&lt;split&gt;/0.parquet</c> as <c>fhirrisk labels</c> writes them: every subject is labelled for
    /// mortality at events 5 and 15 (positive at event 5 of odd subjects); ICU labels only for every
    /// <paramref name="icuEvery"/>-th subject, at event 15.
    /// </summary>
    private static string WriteLabels(string root, int subjects, int icuEvery, bool icuAlways = false)
    {
        var splits = new Dictionary<string, List<(string Task, MedsLabel Label)>>();
        for (var id = 1; id <= subjects; id++)
        {
            var split = id <= subjects - (subjects <= 3 ? 1 : 2) ? MedsSchema.TrainSplit : MedsSchema.TuningSplit;
            var list = splits.TryGetValue(split, out var l) ? l : splits[split] = [];
            DateTime At(int e) => DateTime.SpecifyKind(Start.AddDays(id).AddHours(e), DateTimeKind.Unspecified);
            list.Add((Mortality, new MedsLabel(id, At(5), BooleanValue: id % 2 == 1)));
            list.Add((Mortality, new MedsLabel(id, At(15), BooleanValue: false)));
            if (id % icuEvery == 0)
                list.Add((Icu, new MedsLabel(id, At(15), BooleanValue: icuAlways || id % 4 == 0)));
        }
        foreach (var (split, rows) in splits)
        {
            foreach (var group in rows.GroupBy(r => r.Task))
            {
                var path = Path.Combine(root, "labels", group.Key, split, "0.parquet");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                MedsLabels.Write(path, [.. group.Select(g => g.Label)]);
            }
        }
        return root;
    }
}
