using FhirRisk.Inference.Explanations;
using FhirRisk.Inference.Prediction;
using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Testing;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Finetuning;

namespace FhirRisk.Inference.Tests;

/// <summary>
/// Heads finetuned with a history block (<c>heads.json</c> <c>history_codes</c>): serving, explaining and the finetuner
/// build the same contexts, so a diagnosis charted long before the window still reaches the heads.
/// </summary>
public sealed class HistoryBlockTests : IDisposable
{
    private const int Context = 24;
    private const int HistoryCodes = 3;
    private static readonly DateTime Start = new(2021, 2, 1, 8, 0, 0, DateTimeKind.Utc);
    private static readonly string[] Tasks = [TaskCatalog.HospitalMortality, TaskCatalog.IcuAdmission];
    private readonly TempDirectory _root = new("fhirrisk-history");
    private readonly string _model;
    private readonly TimelineTokenizer _tokenizer;

    public HistoryBlockTests()
    {
        var meds = _root.File("meds");
        using (var writer = new MedsDatasetWriter(meds))
        {
            for (var id = 1L; id <= 6; id++)
                writer.WriteSubject(id, Subject(id, id % 2 == 0 ? "ICD10CM//I10" : "ICD10CM//E11.9"), MedsSchema.TrainSplit);
            writer.Complete();
        }
        _tokenizer = TimelineTokenizer.Fit(MedsDatasetReader.Open(meds));
        _model = _root.File("model");
        Finetune(_tokenizer, _model);
    }

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Serving_ends_the_heads_context_with_the_history_block_the_heads_were_finetuned_with()
    {
        using var session = InferenceSession.Open(_model, new InferenceOptions { Threads = 1 });
        using var heads = session.CreateHeadsPredictor();
        var timeline = Encode(Subject(9, "ICD10CM//I10"));
        var index = timeline.Count - 1;
        var maxLength = Context - Tasks.Length;

        var context = session.HeadsContext(timeline, index);
        var risks = await heads.PredictAsync(new RiskQuery(timeline, index, Tasks));

        Assert.Equal(HistoryCodes, session.Heads!.HistoryCodes);
        Assert.Equal(PromptedContext.Build(_tokenizer, timeline.Tokens, timeline.Times, timeline.Statics, index, maxLength, HistoryCodes), context);
        var hypertension = _tokenizer.Vocabulary.IdOf("ICD10CM//I10");
        Assert.Equal(hypertension, context[^1]); // charted on admission, long before the window's first token
        Assert.DoesNotContain(hypertension, PromptedContext.Build(_tokenizer, timeline.Tokens, timeline.Times, timeline.Statics, index, maxLength));
        Assert.Equal(heads.Predict([context]), risks.Select(r => r.Risk));
    }

    [Fact]
    public async Task Occluding_the_only_mention_of_a_diagnosis_takes_it_out_of_the_history_block()
    {
        var options = new InferenceOptions { Threads = 1, Explanations = ExplanationSettings.Default with { MaxFacts = 64 } };
        using var session = InferenceSession.Open(_model, options);
        using var heads = session.CreateHeadsPredictor();
        var timeline = Encode(Subject(9, "ICD10CM//I10"));
        var index = timeline.Count - 1;

        var explanation = await heads.ExplainAsync(new ExplanationQuery(timeline, index, TaskCatalog.HospitalMortality) { From = 0 });

        var diagnosis = explanation.Facts.Single(f => f.Fact.Codes.Contains("ICD10CM//I10")).Fact;
        int[] kept = [.. timeline.Tokens[..diagnosis.EventStart], .. timeline.Tokens[diagnosis.End..(index + 1)]];
        long[] times = [.. timeline.Times[..diagnosis.EventStart], .. timeline.Times[diagnosis.End..(index + 1)]];
        var occluded = PromptedContext.Build(_tokenizer, kept, times, timeline.Statics, kept.Length - 1, Context - Tasks.Length, HistoryCodes);
        Assert.DoesNotContain(_tokenizer.Vocabulary.IdOf("ICD10CM//I10"), occluded);
        var k = heads.Tasks.ToList().IndexOf(TaskCatalog.HospitalMortality);
        Assert.Equal(heads.Predict([occluded])[k], explanation.Facts.Single(f => f.Fact == diagnosis).Without!.Value, 12);
        Assert.NotEqual(explanation.Risk, explanation.Facts.Single(f => f.Fact == diagnosis).Without!.Value);
    }

    [Fact]
    public void A_history_block_that_leaves_no_room_for_the_timeline_is_refused_when_the_model_opens()
    {
        var copy = _root.File("too-long");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.EnumerateFiles(_model))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var heads = Path.Combine(copy, "heads.json");
        File.WriteAllText(heads, File.ReadAllText(heads).Replace($"\"history_codes\": {HistoryCodes}", "\"history_codes\": 20", StringComparison.Ordinal));

        var error = Assert.Throws<InferenceException>(() => InferenceSession.Open(copy, new InferenceOptions { Threads = 1 }));

        Assert.Equal(InferenceErrorCodes.ModelMismatch, error.Code);
        Assert.Contains("history block of 20 codes", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A few steps of finetuning with the block, then random head weights, so each context id moves the risks.</summary>
    private static void Finetune(TimelineTokenizer tokenizer, string directory)
    {
        var v = tokenizer.Vocabulary.Count;
        var random = new Random(5);
        PromptedExample[] Points(int count) => [.. Enumerable.Range(0, count).Select(_ =>
            new PromptedExample(1, 0, [.. Enumerable.Range(0, random.Next(4, Context - Tasks.Length)).Select(_ => random.Next(v))], [(sbyte)random.Next(2), (sbyte)random.Next(2)]))];
        var data = new FinetuningData(Tasks, Points(40), Points(20));
        var pretrained = GptParameters.Initialize(new GptConfig(v, 1, 2, 16, Context), seed: 3);
        var heads = new TaskHeads(Tasks, 16, v, tokenizer.Vocabulary.Fingerprint, HistoryCodes);
        var settings = new FinetuningSettings { Steps = 4, BatchSize = 8, WarmupSteps = 1, Threads = 1, HistoryCodes = HistoryCodes };
        var result = MultitaskFinetuner.Run(pretrained, heads, data, settings);
        for (var i = 0; i < result.Heads.Parameters.Length; i++)
            result.Heads.Parameters[i] = random.NextDouble() * 2 - 1;
        FinetunedModel.Save(directory, tokenizer, result, settings, TaskParameters.Default);
    }

    /// <summary>The diagnosis on admission, then 30 hourly labs (so the window starts long after the diagnosis).</summary>
    private static IEnumerable<MedsEvent> Subject(long id, string diagnosis)
    {
        yield return new MedsEvent(id, null, "GENDER//F");
        yield return new MedsEvent(id, Start.AddYears(-60), MedsSchema.BirthCode);
        yield return new MedsEvent(id, Start, "HOSPITAL_ADMISSION//IMP");
        yield return new MedsEvent(id, Start.AddMinutes(5), diagnosis);
        for (var h = 1; h <= 30; h++)
            yield return new MedsEvent(id, Start.AddHours(h), h % 3 == 0 ? "LAB//A" : "LAB//B");
    }

    private EncodedTimeline Encode(IEnumerable<MedsEvent> events)
    {
        var timeline = _tokenizer.CreateBuffer();
        _tokenizer.Encode([.. events], timeline, endTimeline: false);
        return timeline;
    }
}
