using FhirRisk.Core.Statistics;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Heads;
using FhirRisk.Training.Finetuning;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Training.Tests.Finetuning;

/// <summary>
/// End to end on a synthetic task whose label is a deterministic function of the context: "does token 7 occur?"
/// (task <c>seen_7</c>) and "does token 3 occur?" (task <c>seen_3</c>, labelled on half the points only).
/// </summary>
public sealed class MultitaskFinetunerTests
{
    private const int Vocabulary = 16;
    private static readonly string[] Tasks = ["seen_7", "seen_3"];

    [Fact]
    public void Finetuning_a_tiny_gpt_learns_both_tasks_and_calibrates_them()
    {
        var pretrained = GptParameters.Initialize(new GptConfig(Vocabulary, 2, 2, 16, 16), seed: 1);
        var data = new FinetuningData(Tasks, Points(600, seed: 1), Points(300, seed: 2));
        var heads = new TaskHeads(Tasks, 16, Vocabulary, tokenizerFingerprint: 5);
        var settings = new FinetuningSettings { Steps = 300, BatchSize = 16, BackboneLearningRate = 3e-3, HeadLearningRate = 1e-2, WarmupSteps = 20, Threads = 1 };

        var result = MultitaskFinetuner.Run(pretrained, heads, data, settings);

        Assert.Equal(300, result.StepsDone);
        Assert.True(result.LastLoss < result.FirstLoss * 0.5, $"loss {result.FirstLoss:F3} → {result.LastLoss:F3}");
        Assert.Equal(Vocabulary + 2, result.Model.Config.VocabSize);
        foreach (var report in result.Tasks)
        {
            Assert.True(report.Auroc > 0.95, $"{report.Task}: tuning AUROC {report.Auroc:F3}");
            Assert.True(report.CalibratedLogLoss <= report.RawLogLoss + 1e-9, $"{report.Task}: {report.RawLogLoss:F3} → {report.CalibratedLogLoss:F3}");
        }
        Assert.Equal(300, result.Tasks[0].TuningLabels);
        Assert.InRange(result.Tasks[1].TuningLabels, 100, 200);

        // Inference with the saved pieces reproduces the reported ranking: prompt, forward, heads.
        using var model = new GptModel(result.Model, 16);
        var hidden = MultitaskFinetuner.HiddenStates(model, result.Heads, data.Tuning, 16);
        var scores = data.Tuning.Select((_, i) => result.Heads.Predict(0, hidden.AsSpan((i * 2) * 16, 16))).ToArray();
        var labels = data.Tuning.Select(p => p.Labels[0] == 1).ToArray();
        Assert.Equal(result.Tasks[0].Auroc, BinaryMetrics.Auroc(scores, labels), 9);
    }

    [Fact]
    public void A_weight_average_keeps_what_was_learned_and_replaces_the_last_steps_weights()
    {
        var last = FinetuneTiny(TinySettings);
        var averaged = FinetuneTiny(TinySettings with { WeightAverageDecay = 0.95 });
        var again = FinetuneTiny(TinySettings with { WeightAverageDecay = 0.95 });

        Assert.NotEqual(last.Model.Values, averaged.Model.Values);
        Assert.NotEqual(last.Heads.Parameters, averaged.Heads.Parameters);
        Assert.Equal(averaged.Model.Values, again.Model.Values);
        Assert.Equal(averaged.Heads.Parameters, again.Heads.Parameters);
        Assert.Equal(last.LastLoss, averaged.LastLoss); // the same steps were taken; only the kept weights differ
        foreach (var report in averaged.Tasks)
            Assert.True(report.Auroc > 0.95, $"{report.Task}: tuning AUROC {report.Auroc:F3}");
    }

    [Fact]
    public void Next_token_targets_cover_the_timeline_only_as_pretraining_windows_do()
    {
        // Prefix 10 11 12, timeline 20 21 22 23, history block 30 31.
        var point = new PromptedExample(1, 1, [10, 11, 12, 20, 21, 22, 23, 30, 31], [1], TimelineStart: 3, HistoryLength: 2);
        var targets = new int[11];

        point.NextTokenTargets(targets, -100);

        // The last prefix position predicts the first timeline token; the last timeline token predicts nothing (a block
        // or the task tokens follow it); the prefix, the block and the rest of the row are never targets.
        Assert.Equal([-100, -100, 20, 21, 22, 23, -100, -100, -100, -100, -100], targets);
        var bare = new PromptedExample(1, 1, [5, 6, 7], [1]);
        bare.NextTokenTargets(targets.AsSpan(0, 3), -100);
        Assert.Equal([6, 7, -100], targets[..3]);
    }

    [Fact]
    public void The_language_model_loss_keeps_the_backbone_predicting_the_record_while_the_heads_learn()
    {
        var plain = FinetuneTiny(TinySettings);
        var withLoss = FinetuneTiny(TinySettings with { LanguageModelLoss = true });
        var again = FinetuneTiny(TinySettings with { LanguageModelLoss = true });
        var (pretrained, tuning) = (TinyGpt(), TinyData().Tuning);

        // The points' tokens are drawn unevenly (3 and 7 rare, 8 common): a backbone trained on them learns that; the
        // heads' loss alone does not teach it.
        var (before, lossPlain, lossWith) = (NextTokenLoss(TaskTokenEmbedding.Grow(pretrained, 2, FinetuningSeeds.TaskTokens(1)), tuning),
            NextTokenLoss(plain.Model, tuning), NextTokenLoss(withLoss.Model, tuning));
        Assert.True(lossWith < lossPlain - 0.1 && lossWith < before - 0.1, $"next-token loss: pretrained {before:F3}, finetuned {lossPlain:F3}, with the loss {lossWith:F3}");
        // A 16-channel model shares its little capacity with the record: the heads still learn both tasks, if less well.
        foreach (var report in withLoss.Tasks)
            Assert.True(report.Auroc > 0.75, $"{report.Task}: tuning AUROC {report.Auroc:F3}");
        Assert.True(withLoss.LastLanguageModelLoss < withLoss.FirstLanguageModelLoss, $"next-token loss {withLoss.FirstLanguageModelLoss:F3} → {withLoss.LastLanguageModelLoss:F3}");
        Assert.Null(plain.FirstLanguageModelLoss);
        Assert.Equal(withLoss.Model.Values, again.Model.Values);
        Assert.Equal(withLoss.Heads.Parameters, again.Heads.Parameters);
        Assert.Throws<ArgumentException>(() => (TinySettings with { LanguageModelLoss = true, FreezeBackbone = true }).Validate());
    }

    /// <summary>300 steps of 16 points, fast learning rates: enough for the tiny GPT to learn both tasks.</summary>
    private static FinetuningSettings TinySettings => new() { Steps = 300, BatchSize = 16, BackboneLearningRate = 3e-3, HeadLearningRate = 1e-2, WarmupSteps = 20, Threads = 1 };

    private static GptParameters TinyGpt() => GptParameters.Initialize(new GptConfig(Vocabulary, 2, 2, 16, 16), seed: 1);

    private static FinetuningData TinyData() => new(Tasks, Points(600, seed: 1), Points(300, seed: 2));

    /// <summary>Finetunes the tiny GPT with new heads on the tiny data.</summary>
    private static FinetuningResult FinetuneTiny(FinetuningSettings settings) =>
        MultitaskFinetuner.Run(TinyGpt(), new TaskHeads(Tasks, 16, Vocabulary, tokenizerFingerprint: 5), TinyData(), settings);

    /// <summary>The mean next-token cross-entropy of the points' timelines under <paramref name="parameters"/>.</summary>
    private static double NextTokenLoss(GptParameters parameters, IReadOnlyList<PromptedExample> points)
    {
        using var model = new GptModel(parameters, points.Count);
        var t = parameters.Config.ContextLength;
        var (tokens, targets) = (new int[points.Count * t], new int[points.Count * t]);
        for (var i = 0; i < points.Count; i++)
        {
            points[i].Context.CopyTo(tokens.AsSpan(i * t));
            points[i].NextTokenTargets(targets.AsSpan(i * t, t), -100);
        }
        return model.Forward(tokens, targets, points.Count, t)!.Value;
    }

    [Fact]
    public void Frozen_backbone_trains_only_the_heads()
    {
        // A random backbone shows a head little of the context, but the task token's position (the context length)
        // reaches its hidden state: tasks on the length are learnable from frozen features.
        static PromptedExample[] ByLength(PromptedExample[] points) =>
            [.. points.Select((p, i) => p with { Labels = [(sbyte)(p.Context.Length >= 8 ? 1 : 0), i % 2 == 0 ? (sbyte)(p.Context.Length >= 6 ? 1 : 0) : PromptedExample.Masked] })];
        var pretrained = GptParameters.Initialize(new GptConfig(Vocabulary, 1, 2, 16, 16), seed: 3);
        var data = new FinetuningData(Tasks, ByLength(Points(400, seed: 3)), ByLength(Points(200, seed: 4)));
        var heads = new TaskHeads(Tasks, 16, Vocabulary, tokenizerFingerprint: 5);
        var settings = new FinetuningSettings { Steps = 1000, BatchSize = 16, FreezeBackbone = true, HeadLearningRate = 3e-2, WarmupSteps = 10, Threads = 1 };

        var result = MultitaskFinetuner.Run(pretrained, heads, data, settings);

        var grown = TaskTokenEmbedding.Grow(pretrained, 2, FinetuningSeeds.TaskTokens(settings.Seed));
        Assert.Equal(grown.Values, result.Model.Values);
        foreach (var report in result.Tasks)
            Assert.True(report.Auroc > 0.9, $"{report.Task}: tuning AUROC {report.Auroc:F3}");
    }

    [Fact]
    public void A_masked_task_sends_no_gradient_into_the_backbone()
    {
        var parameters = TaskTokenEmbedding.Grow(GptParameters.Initialize(new GptConfig(Vocabulary, 1, 2, 8, 16), seed: 5), 2, seed: 1);
        var points = Points(4, seed: 6).Select(p => p with { Labels = [p.Labels[0], PromptedExample.Masked] }).ToArray();
        var heads = new TaskHeads(Tasks, 8, Vocabulary, tokenizerFingerprint: 5);
        var random = new Random(1);
        for (var i = 0; i < heads.Parameters.Length; i++)
            heads.Parameters[i] = random.NextDouble() - 0.5;

        float[] BackboneGradient()
        {
            using var model = new GptModel(parameters, points.Length);
            var batch = PromptBatch.Create(points.Select(p => p.Context).ToArray(), heads.PromptTokenIds());
            model.ForwardHidden(batch.Tokens, batch.B, batch.T);
            var (hidden, dHidden) = (new float[batch.TaskRows.Length * 8], new float[batch.TaskRows.Length * 8]);
            model.HiddenStates(batch.TaskRows, hidden);
            var labels = points.SelectMany(p => p.Labels).ToArray();
            MultitaskHeadLoss.Compute(heads, hidden, labels, [1.0, 1.0], new double[heads.Parameters.Length], dHidden);
            model.ZeroGradients();
            model.BackwardHidden(batch.TaskRows, dHidden);
            return model.Gradients.ToArray();
        }

        var before = BackboneGradient();
        Assert.Contains(before, g => g != 0);
        for (var j = 9; j < 18; j++)
            heads.Parameters[j] *= -4; // task 1's head: any value gives the same backbone gradient
        Assert.Equal(before, BackboneGradient());
    }

    [Fact]
    public void A_finetuning_dropout_replaces_the_pretrained_one_changes_the_training_and_is_stored()
    {
        var pretrained = GptParameters.Initialize(new GptConfig(Vocabulary, 1, 2, 8, 16, Dropout: 0.1f), seed: 1);
        var data = new FinetuningData(Tasks, Points(64, seed: 1), Points(32, seed: 2));
        var settings = new FinetuningSettings { Steps = 5, BatchSize = 8, WarmupSteps = 1, Threads = 1 };

        var kept = MultitaskFinetuner.Run(pretrained, new TaskHeads(Tasks, 8, Vocabulary, 5), data, settings);
        var higher = MultitaskFinetuner.Run(pretrained, new TaskHeads(Tasks, 8, Vocabulary, 5), data, settings with { Dropout = 0.3f });
        var none = MultitaskFinetuner.Run(pretrained, new TaskHeads(Tasks, 8, Vocabulary, 5), data, settings with { Dropout = 0f });

        Assert.Equal(0.1f, kept.Model.Config.Dropout);
        Assert.Equal(0.3f, higher.Model.Config.Dropout);
        Assert.Equal(0f, none.Model.Config.Dropout);
        Assert.NotEqual(kept.Model.Values, higher.Model.Values);
        Assert.NotEqual(kept.Model.Values, none.Model.Values);
        Assert.Throws<ArgumentException>(() => (settings with { Dropout = 1f }).Validate());
        Assert.Throws<ArgumentException>(() => (settings with { Dropout = -0.1f }).Validate());
    }

    [Fact]
    public void A_shorter_context_gives_a_model_of_that_context_and_refuses_longer_points_or_a_longer_context()
    {
        var pretrained = GptParameters.Initialize(new GptConfig(Vocabulary, 1, 2, 8, 32), seed: 1);
        var heads = new TaskHeads(Tasks, 8, Vocabulary, tokenizerFingerprint: 5);
        var data = new FinetuningData(Tasks, Points(64, seed: 1), Points(32, seed: 2)); // contexts of 4-12 ids + 2 task tokens
        var settings = new FinetuningSettings { Steps = 5, BatchSize = 8, ContextLength = 14, WarmupSteps = 1, Threads = 1 };

        var result = MultitaskFinetuner.Run(pretrained, heads, data, settings);

        Assert.Equal(14, result.Model.Config.ContextLength);
        Assert.Equal(14 * 8, result.Model.Layout.Wpe.Length);
        var tooShort = Assert.Throws<ArgumentException>(() => MultitaskFinetuner.Run(pretrained, new TaskHeads(Tasks, 8, Vocabulary, 5), data, settings with { ContextLength = 10 }));
        Assert.Contains("the model takes 8", tooShort.Message);
        var tooLong = Assert.Throws<ArgumentException>(() => MultitaskFinetuner.Run(pretrained, new TaskHeads(Tasks, 8, Vocabulary, 5), data, settings with { ContextLength = 33 }));
        Assert.Contains("longer than the pretrained model's context of 32", tooLong.Message);
        Assert.Contains("Hint:", tooLong.Message);
        Assert.Equal(32, FinetuningSettings.Default.ContextFor(32));
        Assert.Throws<ArgumentException>(() => (FinetuningSettings.Default with { ContextLength = -1 }).Validate());
    }

    [Fact]
    public void A_task_with_one_class_in_train_is_refused_with_a_hint()
    {
        var pretrained = GptParameters.Initialize(new GptConfig(Vocabulary, 1, 2, 8, 16), seed: 1);
        var train = Points(50, seed: 1).Select(p => p with { Labels = [0, p.Labels[1]] }).ToArray();
        var heads = new TaskHeads(Tasks, 8, Vocabulary, tokenizerFingerprint: 5);
        var error = Assert.Throws<TrainingException>(() => MultitaskFinetuner.Run(pretrained, heads, new FinetuningData(Tasks, train, []), FinetuningSettings.Default));
        Assert.Equal(FinetuningErrorCodes.SingleClassTask, error.Code);
        Assert.Equal("seen_7", error.Path);
        Assert.Contains("Hint:", error.Message);
    }

    /// <summary>Contexts of 4–12 tokens from [1, 16) with a 7 in about half and a 3 in about half; <c>seen_3</c> labelled on
    /// even points only.</summary>
    private static PromptedExample[] Points(int count, int seed)
    {
        var random = new Random(seed);
        var points = new PromptedExample[count];
        for (var i = 0; i < count; i++)
        {
            var context = Enumerable.Range(0, random.Next(4, 13)).Select(_ => random.Next(1, Vocabulary)).Select(t => t is 3 or 7 ? 8 : t).ToArray();
            if (random.NextDouble() < 0.5)
                context[random.Next(context.Length)] = 7;
            if (random.NextDouble() < 0.5)
                context[random.Next(context.Length)] = 3;
            var seen7 = context.Contains(7) ? (sbyte)1 : (sbyte)0;
            var seen3 = i % 2 == 0 ? (sbyte)(context.Contains(3) ? 1 : 0) : PromptedExample.Masked;
            points[i] = new PromptedExample(i, i, context, [seen7, seen3]);
        }
        return points;
    }
}
