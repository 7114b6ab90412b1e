using FhirRisk.Core.Statistics;
using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Testing;
using FhirRisk.Training.Finetuning;

namespace FhirRisk.Inference.Tests;

/// <summary>One predictor API over both methods; the heads path reproduces the finetuner's own probabilities.</summary>
public sealed class PredictorTests
{
    private static readonly string[] HeadTasks = FinetunedTinyModel.Tasks;

    [Fact]
    public async Task A_request_whose_question_starts_do_not_fit_its_tasks_is_refused_and_the_engine_goes_on()
    {
        using var session = TinyModel.Open(new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(2) });
        await using var predictor = session.CreateRolloutPredictor();
        var timeline = TinyModel.Encode(3);
        var prompt = session.RolloutPrompt(timeline, timeline.Count - 1);
        var settings = session.Options.Rollouts with { MinRollouts = 2, MaxRollouts = 2 };
        var mortality = session.Task(TaskCatalog.HospitalMortality);

        // Mortality is predicted at a stay's start: it cannot wait for the stay's end. Refused when queued, before any
        // rollout of it is admitted into the decode loop, so the next request is answered.
        var waiting = new QuestionStart(TimeSpan.Zero, InStay: true) { AwaitsEnd = true };
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => predictor.RunAsync(new RolloutRequest(prompt, [mortality], settings) { Starts = [waiting] })
            .WaitAsync(TimeSpan.FromSeconds(30)));
        var miscounted = await Assert.ThrowsAsync<ArgumentException>(() => predictor.RunAsync(new RolloutRequest(prompt, [mortality], settings) { Starts = [waiting, waiting] })
            .WaitAsync(TimeSpan.FromSeconds(30)));
        var answered = await predictor.RunAsync(new RolloutRequest(prompt, [mortality], settings)).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Contains("cannot wait for the stay's end", refused.Message, StringComparison.Ordinal);
        Assert.Contains("One question start per task", miscounted.Message, StringComparison.Ordinal);
        Assert.Equal(2, answered.Tasks[0].Labelled + answered.Tasks[0].Excluded + answered.Tasks[0].Ambiguous);
    }

    [Fact]
    public void The_heads_path_gives_the_finetuners_probabilities_from_the_saved_directory()
    {
        var (directory, result, data) = FinetunedTinyModel.Value;
        using var session = InferenceSession.Open(directory, new InferenceOptions { Threads = 1 });
        using var predictor = session.CreateHeadsPredictor();

        var probabilities = predictor.Predict([.. data.Tuning.Select(p => p.Context)]);

        for (var k = 0; k < HeadTasks.Length; k++)
        {
            var labels = data.Tuning.Select(p => p.Labels[k] == 1).ToArray();
            var scores = data.Tuning.Select((_, i) => probabilities[i * HeadTasks.Length + k]).ToArray();
            var report = result.Tasks[k];
            Assert.Equal(report.Auroc, BinaryMetrics.Auroc(scores, labels), 12);
            Assert.Equal(report.CalibratedEce, BinaryMetrics.ExpectedCalibrationError(scores, labels), 12);
            var logLoss = -scores.Zip(labels, (p, y) => Math.Log(y ? p : 1 - p)).Average();
            Assert.Equal(report.CalibratedLogLoss, logLoss, 9);
        }
    }

    [Fact]
    public async Task Both_methods_answer_through_one_interface()
    {
        var (directory, _, _) = FinetunedTinyModel.Value;
        using var session = InferenceSession.Open(directory, new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(12) });
        using var heads = session.CreateHeadsPredictor();
        await using var rollouts = session.CreateRolloutPredictor();
        var timeline = TinyModel.Encode(3, stays: 2);
        var query = new RiskQuery(timeline, 12, HeadTasks);

        foreach (IRiskPredictor predictor in new IRiskPredictor[] { heads, rollouts })
        {
            var risks = await predictor.PredictAsync(query);
            Assert.Equal(HeadTasks, risks.Select(r => r.Task));
            Assert.All(risks, r =>
            {
                Assert.Equal(predictor.Method, r.Method);
                Assert.True(r.Latency > TimeSpan.Zero);
                if (r.Method == RiskMethod.Heads)
                {
                    Assert.Null(r.Interval);
                    Assert.Equal(0, r.N);
                    Assert.InRange(r.Risk, 0, 1);
                }
                else
                {
                    Assert.InRange(r.N, 1, 12);
                    Assert.InRange(r.Risk, r.Interval!.Value.Lower, r.Interval.Value.Upper);
                }
            });
        }

        var direct = heads.Predict([session.HeadsContext(timeline, 12)]);
        Assert.Equal(direct, (await heads.PredictAsync(query)).Select(r => r.Risk));
        var unknown = await Assert.ThrowsAsync<InferenceException>(() => heads.PredictAsync(query with { Tasks = ["ed_reattendance_72h"] }));
        Assert.Equal(InferenceErrorCodes.UnknownTask, unknown.Code);
        Assert.Equal(InferenceErrorCodes.UnknownTask, Assert.Throws<InferenceException>(() => session.Task("no_such_task")).Code);
    }

    [Fact]
    public async Task Concurrent_calls_share_decode_steps_and_get_their_sequential_answers()
    {
        using var session = TinyModel.Open(new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(10) });
        var queries = Enumerable.Range(1, 4).Select(id => new RiskQuery(TinyModel.Encode(id, stays: 2), 6 + id, Requests.StayTasks)).ToArray();

        await using var predictor = session.CreateRolloutPredictor();
        var sequential = new List<IReadOnlyList<TaskRisk>>();
        foreach (var query in queries)
            sequential.Add(await predictor.PredictAsync(query));
        var concurrent = await Task.WhenAll(queries.Select(q => predictor.PredictAsync(q)));

        for (var i = 0; i < queries.Length; i++)
            Assert.Equal(sequential[i].Select(r => (r.Task, r.Risk, r.Interval, r.N)), concurrent[i].Select(r => (r.Task, r.Risk, r.Interval, r.N)));
        Assert.True(predictor.Pool.PeakInUse > 10, $"the calls never shared steps (peak {predictor.Pool.PeakInUse} slots)");
    }

    [Fact]
    public async Task A_cancelled_call_ends_without_an_answer_and_frees_its_slots()
    {
        using var session = TinyModel.Open(new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(50, maxNewTokens: 2000) });
        await using var predictor = session.CreateRolloutPredictor();
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();
        var call = predictor.PredictAsync(new RiskQuery(TinyModel.Encode(2), 10, [TaskCatalog.ProlongedLos]), cancellation.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
        var after = await predictor.PredictAsync(new RiskQuery(TinyModel.Encode(2), 10, [TaskCatalog.HospitalMortality]), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, predictor.Pool.InUse);
        Assert.Single(after);
    }

    [Fact]
    public void A_model_directory_whose_parts_disagree_is_refused_with_a_hint()
    {
        using var folder = new TempDirectory();
        TinyModel.Tokenizer.Save(folder.Path);
        GptCheckpoint.Save(folder.Path, TinyModel.RandomGpt(TinyModel.Tokenizer.Vocabulary.Count + 3, seed: 1));
        var error = Assert.Throws<InferenceException>(() => InferenceSession.Open(folder.Path));
        Assert.Equal(InferenceErrorCodes.ModelMismatch, error.Code);
        Assert.Contains("Hint:", error.Message);

        // A complete finetune save (its record written last) whose heads were fitted with another tokenizer.
        new TaskHeads(["a", "b", "c"], TinyModel.Channels, TinyModel.Tokenizer.Vocabulary.Count, tokenizerFingerprint: 1).Save(folder.Path);
        File.WriteAllText(Path.Combine(folder.Path, FinetuningRunStatus.FileName), """{"format": "fhirrisk-finetuning", "version": 1, "cancelled": false}""");
        Assert.Contains("fingerprint", Assert.Throws<InferenceException>(() => InferenceSession.Open(folder.Path)).Message);
    }

    [Fact]
    public void A_finetuned_model_answers_the_task_parameters_its_heads_were_trained_on()
    {
        // Heads trained on 7-day prolonged stays answer 7-day prolonged stays, by heads and by rollouts alike: the
        // finetuning record keeps the labels' parameters, and a session asked for others is refused.
        var (_, result, _) = FinetunedTinyModel.Value;
        var settings = new FinetuningSettings { Steps = 150, BatchSize = 16, BackboneLearningRate = 3e-3, HeadLearningRate = 1e-2, WarmupSteps = 10, Threads = 1 };
        var weekly = TaskParameters.Default with { ProlongedStay = TimeSpan.FromDays(7) };
        using var folder = new TempDirectory();
        var directory = Path.Combine(folder.Path, "model");
        FinetunedModel.Save(directory, TinyModel.Tokenizer, result, settings, weekly);

        using (var session = InferenceSession.Open(directory, new InferenceOptions { Threads = 1 }))
        {
            Assert.Equal(weekly, session.TaskParameters);
            Assert.Equal(TimeSpan.FromDays(7), session.Tasks.Single(t => t.Name == TaskCatalog.ProlongedLos).PositiveAfter);
            Assert.Contains("7 days", session.Tasks.Single(t => t.Name == TaskCatalog.Composite).Description, StringComparison.Ordinal);
        }
        using (InferenceSession.Open(directory, new InferenceOptions { Threads = 1, TaskParameters = weekly })) { }
        var refused = Assert.Throws<InferenceException>(() => InferenceSession.Open(directory, new InferenceOptions { Threads = 1, TaskParameters = TaskParameters.Default }));
        Assert.Equal(InferenceErrorCodes.ModelMismatch, refused.Code);
        Assert.Contains("prolonged_stay_days 7 → 10", refused.Message, StringComparison.Ordinal);

        // A record from before the parameters were kept does not say which its labels had: the ones asked for, else the
        // defaults (review s20 M2).
        var record = Path.Combine(directory, FinetuningRunStatus.FileName);
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(record))!.AsObject();
        node.Remove("task_parameters");
        File.WriteAllText(record, node.ToJsonString());
        using (var session = InferenceSession.Open(directory, new InferenceOptions { Threads = 1 }))
            Assert.Equal(TaskParameters.Default, session.TaskParameters);
        using (var session = InferenceSession.Open(directory, new InferenceOptions { Threads = 1, TaskParameters = weekly }))
            Assert.Equal(weekly, session.TaskParameters);

        // A newer version's parameter is refused, not read under the old definitions.
        node["task_parameters"] = new System.Text.Json.Nodes.JsonObject { ["prolonged_stay_days"] = 7, ["icu_stay_hours"] = 24 };
        File.WriteAllText(record, node.ToJsonString());
        Assert.Contains("icu_stay_hours", Assert.Throws<InferenceException>(() => InferenceSession.Open(directory, new InferenceOptions { Threads = 1 })).Message,
            StringComparison.Ordinal);

        // Damaged: refused, naming the record.
        node["task_parameters"] = new System.Text.Json.Nodes.JsonObject { ["prolonged_stay_days"] = -1 };
        File.WriteAllText(record, node.ToJsonString());
        var damaged = Assert.Throws<InferenceException>(() => InferenceSession.Open(directory, new InferenceOptions { Threads = 1 }));
        Assert.Equal(record, damaged.Path);

        // A model without heads answers what it is asked.
        using var pretrained = InferenceSession.Open(TinyModel.Directory, new InferenceOptions { Threads = 1, TaskParameters = weekly });
        Assert.Equal(weekly, pretrained.TaskParameters);
    }

    [Fact]
    public void A_model_directory_whose_files_are_not_those_its_training_record_hashed_is_refused()
    {
        // The weights of one save beside the record of another (a save stopped between its renames), with the same shape:
        // nothing but the record's hashes tells them apart.
        using var folder = new TempDirectory();
        TinyModel.Tokenizer.Save(folder.Path);
        var weights = Path.Combine(folder.Path, "model.safetensors");
        GptCheckpoint.Save(folder.Path, TinyModel.RandomGpt(TinyModel.Tokenizer.Vocabulary.Count, seed: 1));
        var saved = SavedFileHashes.Of(weights);
        File.WriteAllText(Path.Combine(folder.Path, "training.json"), "{\"format\": \"fhirrisk-training\", \"file_sha256\": {\"model.safetensors\": \"" + saved + "\"}}");
        using (InferenceSession.Open(folder.Path, new InferenceOptions { Threads = 1 })) { }

        GptCheckpoint.Save(folder.Path, TinyModel.RandomGpt(TinyModel.Tokenizer.Vocabulary.Count, seed: 2));
        var error = Assert.Throws<InferenceException>(() => InferenceSession.Open(folder.Path));
        Assert.Equal(InferenceErrorCodes.ModelMismatch, error.Code);
        Assert.Equal(weights, error.Path);
        Assert.Contains("Hint:", error.Message);

        // A record without hashes (an earlier build's) is not checked.
        File.WriteAllText(Path.Combine(folder.Path, "training.json"), "{\"format\": \"fhirrisk-training\"}");
        using (InferenceSession.Open(folder.Path, new InferenceOptions { Threads = 1 })) { }
        Assert.NotEqual(saved, SavedFileHashes.Of(weights));

        // A damaged record is not taken for an earlier build's: emptied, or with hashes that are not strings (CLI review s10 #12).
        foreach (var damaged in new[] { "", "[1]", "{\"file_sha256\": [\"" + saved + "\"]}" })
        {
            File.WriteAllText(Path.Combine(folder.Path, "training.json"), damaged);
            var refused = Assert.Throws<InferenceException>(() => InferenceSession.Open(folder.Path));
            Assert.Equal(InferenceErrorCodes.ModelMismatch, refused.Code);
            Assert.Equal(Path.Combine(folder.Path, "training.json"), refused.Path);
            Assert.Contains("damaged", refused.Message);
        }
    }

    [Fact]
    public void A_model_whose_weights_hold_NaN_is_refused_at_load_naming_the_file()
    {
        // CLI review s10 #1: such weights answered NaN deep inside a rollout or a predictions file, with a stack trace.
        using var folder = new TempDirectory();
        TinyModel.Tokenizer.Save(folder.Path);
        var parameters = TinyModel.RandomGpt(TinyModel.Tokenizer.Vocabulary.Count, seed: 1);
        parameters.Values[7] = float.NaN;
        parameters.Values[11] = float.PositiveInfinity;
        GptCheckpoint.Save(folder.Path, parameters);

        var error = Assert.Throws<InferenceException>(() => InferenceSession.Open(folder.Path));

        Assert.Equal(InferenceErrorCodes.NonFinite, error.Code);
        Assert.Equal(Path.Combine(folder.Path, "model.safetensors"), error.Path);
        Assert.Contains("2 of the", error.Message);
        Assert.Contains("Hint:", error.Message);
    }
}
