using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Gpt.Reference;
using FhirRisk.Model.Tests.Cpu.Kernels;
using Xunit.Abstractions;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Model.Tests.Gpt;

public sealed class GptTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, float> Shapes => new()
    {
        { 16, 2, 0f },
        { 24, 3, 0f },
        { 24, 3, 0.2f },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardBackward_MatchReferenceInDouble(int channels, int heads, float dropout)
    {
        // Arrange: V = 37 (Vp = 64), L = 2, a batch smaller than the model's (3 × 7 of 4 × 8), some targets ignored.
        var config = new GptConfig(VocabSize: 37, Layers: 2, Heads: heads, Channels: channels, ContextLength: 8, Dropout: dropout);
        var parameters = GptParameters.Initialize(config, seed: 11);
        var (b, t) = (3, 7);
        var tokens = GptTestBatches.Tokens(1, b * t, config.VocabSize);
        var targets = GptTestBatches.Targets(2, b * t, config.VocabSize);
        var key = new DropoutKey(Seed: 5, Step: 3);
        var model = new GptModel(parameters, maxBatch: 4, new ComputeOptions(2));
        var reference = new ReferenceGpt<double>(parameters.Layout, ReferenceGpt<double>.Convert(parameters.Values));

        // Act
        var loss = model.Forward(tokens, targets, b, t, key);
        var logits = model.ReadLogits();
        var hidden = new float[b * t * channels];
        model.HiddenStates(Enumerable.Range(0, b * t).ToArray(), hidden);
        model.Backward();
        var expectedLoss = reference.Forward(tokens, targets, b, t, key);
        reference.Backward();

        // Assert: float32 vs double through two blocks; measured max abs diffs are ≤ 1e-7 on logits, ≤ 5e-7 on
        // hidden states (order 1) and ≤ 5e-8 on gradients; the tolerances leave 4–10× margin.
        output.WriteLine($"loss {loss} vs {expectedLoss}");
        Assert.Equal(expectedLoss, loss!.Value, 1e-5);
        LayerTestTensors.AssertClose(output, "logits", reference.Logits, logits, 5e-7, 1e-5);
        LayerTestTensors.AssertClose(output, "hidden", reference.HiddenStates, hidden, 2e-6, 1e-5);
        var gradients = model.Gradients.ToArray();
        foreach (var tensor in parameters.Layout.Tensors)
        {
            LayerTestTensors.AssertClose(output, tensor.Name, reference.Gradients.AsSpan(tensor.Range.Offset, tensor.Range.Length),
                gradients.AsSpan(tensor.Range.Offset, tensor.Range.Length), 2e-7, 1e-4);
        }
    }

    [Fact]
    public void ForwardBackwardAndAdamW_AreBitIdenticalForOneTwoAndThreeThreads()
    {
        // Sizes at which every kernel really splits across threads: the MLP products pass the SGEMM threshold, the row
        // kernels hold several chunks, attention has three tiles (the last partial), and the gradient norm and AdamW
        // sum several chunks. A smaller model would run one chunk per kernel and could not tell.
        const int B = 3, T = 130;
        var config = new GptConfig(VocabSize: 301, Layers: 2, Heads: 4, Channels: 64, ContextLength: T, Dropout: 0.1f);
        var parameters = GptParameters.Initialize(config, seed: 3);
        Assert.True((long)B * T * config.Channels * 4 * config.Channels >= Sgemm.ParallelThresholdMacs);
        Assert.True((long)B * T * config.PaddedVocabSize >= 2 * ParallelRows.MinElementsPerChunk);
        Assert.True(parameters.Values.Length >= 4 * GradientNorm.ChunkSize);
        var tokens = GptTestBatches.Tokens(4, B * T, config.VocabSize);
        var targets = GptTestBatches.Targets(5, B * T, config.VocabSize);

        var runs = new[] { 1, 2, 3 }.Select(Run).ToArray();

        foreach (var run in runs.Skip(1))
        {
            Assert.Equal(runs[0].Loss, run.Loss);
            Assert.Equal(runs[0].Logits, run.Logits);
            Assert.Equal(runs[0].Grads, run.Grads);
            Assert.Equal(runs[0].Weights, run.Weights);
            Assert.Equal(runs[0].NextLoss, run.NextLoss);
        }

        (float Loss, float[] Logits, float[] Grads, float[] Weights, float NextLoss) Run(int threads)
        {
            var weights = new GptParameters(parameters.Layout, (float[])parameters.Values.Clone());
            using var model = new GptModel(weights, maxBatch: B, new ComputeOptions(threads));
            using var optimizer = new GptOptimizer(model);
            model.ZeroGradients();
            var loss = model.Forward(tokens, targets, B, T, new DropoutKey(9, 1))!.Value;
            var logits = model.ReadLogits();
            model.Backward();
            var grads = model.Gradients.ToArray();
            optimizer.Step(1e-3);
            var next = model.Forward(tokens, targets, B, T, new DropoutKey(9, 2))!.Value;
            return (loss, logits, grads, (float[])weights.Values.Clone(), next);
        }
    }

    [Fact]
    public void Dropout_IsReproducibleForAKeyAndChangesWithTheStep()
    {
        var config = new GptConfig(VocabSize: 37, Layers: 2, Heads: 2, Channels: 16, ContextLength: 7, Dropout: 0.3f);
        var model = new GptModel(GptParameters.Initialize(config, seed: 3), maxBatch: 2, ComputeOptions.SingleThreaded);
        var tokens = GptTestBatches.Tokens(6, 14, config.VocabSize);
        var targets = GptTestBatches.Targets(7, 14, config.VocabSize);

        var first = model.Forward(tokens, targets, 2, 7, new DropoutKey(1, 10));
        var again = model.Forward(tokens, targets, 2, 7, new DropoutKey(1, 10));
        var nextStep = model.Forward(tokens, targets, 2, 7, new DropoutKey(1, 11));
        var otherSeed = model.Forward(tokens, targets, 2, 7, new DropoutKey(2, 10));
        var evaluation = model.Forward(tokens, targets, 2, 7);
        var evaluationAgain = model.Forward(tokens, targets, 2, 7);

        Assert.Equal(first, again);
        Assert.NotEqual(first, nextStep);
        Assert.NotEqual(first, otherSeed);
        Assert.NotEqual(first, evaluation);
        Assert.Equal(evaluation, evaluationAgain);
    }

    [Fact]
    public void Forward_WithoutTargets_GivesSameLogitsAndNoLoss()
    {
        var config = new GptConfig(VocabSize: 37, Layers: 1, Heads: 2, Channels: 16, ContextLength: 5);
        var model = new GptModel(GptParameters.Initialize(config, seed: 1), maxBatch: 2, ComputeOptions.SingleThreaded);
        var tokens = GptTestBatches.Tokens(1, 10, config.VocabSize);

        model.Forward(tokens, GptTestBatches.Targets(2, 10, config.VocabSize), 2, 5);
        var withTargets = model.ReadLogits();
        var loss = model.Forward(tokens, 2, 5);

        Assert.Null(loss);
        Assert.Equal(withTargets, model.ReadLogits());
        Assert.Throws<InvalidOperationException>(() => model.Backward());
    }

    [Fact]
    public void Forward_InvalidBatch_Throws()
    {
        var config = new GptConfig(VocabSize: 37, Layers: 1, Heads: 2, Channels: 16, ContextLength: 5);
        var model = new GptModel(GptParameters.Initialize(config, seed: 1), maxBatch: 2, ComputeOptions.SingleThreaded);

        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(new int[18], 3, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(new int[15], 3, 5));
        Assert.Throws<ArgumentException>(() => model.Forward(new int[9], 2, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward([0, 1, 37, 2, 3], 1, 5));
    }

    [Fact]
    public void AdamW_OnARepeatingSequence_DrivesTheLossDown()
    {
        // Arrange: every sequence is 0 1 2 3 4 5 0 1 …, so each next token is determined by the current one.
        var config = new GptConfig(VocabSize: 6, Layers: 2, Heads: 2, Channels: 16, ContextLength: 8);
        var model = new GptModel(GptParameters.Initialize(config, seed: 2), maxBatch: 2, ComputeOptions.SingleThreaded);
        var sequence = Enumerable.Range(0, 17).Select(i => i % 6).ToArray();
        var tokens = sequence[..8].Concat(sequence[3..11]).ToArray();
        var targets = sequence[1..9].Concat(sequence[4..12]).ToArray();
        var optimizer = new GptOptimizer(model, new AdamWSettings(WeightDecay: 0.01, MaxGradientNorm: float.PositiveInfinity));

        // Act
        var losses = new List<float>();
        for (var step = 1; step <= 30; step++)
        {
            losses.Add(model.Forward(tokens, targets, 2, 8)!.Value);
            model.ZeroGradients();
            model.Backward();
            optimizer.Step(learningRate: 1e-2);
        }

        // Assert: starts near ln 6 ≈ 1.79 and falls far below it.
        output.WriteLine(string.Join(" ", losses.Select(l => l.ToString("F3"))));
        Assert.InRange(losses[0], 1.6f, 2.0f);
        Assert.True(losses[^1] < 0.2f, $"final loss {losses[^1]}");
    }

    [Theory]
    [InlineData(37, 2, 2, 16, 8, 4)]
    [InlineData(4000, 4, 4, 128, 128, 16)]
    [InlineData(100, 3, 3, 24, 33, 5)]
    public void TrainingBytes_CountTheBuffersTheModelAllocates(int vocab, int layers, int heads, int channels, int context, int batch)
    {
        var config = new GptConfig(vocab, layers, heads, channels, context);
        using var model = new GptModel(GptParameters.Initialize(config, seed: 1), batch, new ComputeOptions(1));

        Assert.Equal(GptActivations.ElementsFor(config, batch), model.ActivationElements);
        Assert.Equal(4 * ((4L * model.Parameters.Layout.Count) + model.ActivationElements), GptModel.TrainingBytes(config, batch));
    }

    [Fact]
    public void ForwardAndBackward_Cancelled_ThrowBeforeABlockAndLeaveTheWeightsAsTheyWere()
    {
        var config = new GptConfig(VocabSize: 37, Layers: 2, Heads: 2, Channels: 16, ContextLength: 8);
        var parameters = GptParameters.Initialize(config, seed: 3);
        var before = parameters.Values.ToArray();
        var tokens = GptTestBatches.Tokens(1, 2 * 8, config.VocabSize);
        var targets = GptTestBatches.Targets(2, 2 * 8, config.VocabSize);
        using var model = new GptModel(parameters, maxBatch: 2, new ComputeOptions(1));
        var expected = model.Forward(tokens, targets, 2, 8);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<OperationCanceledException>(() => model.Forward(tokens, targets, 2, 8, cancellationToken: cancelled.Token));
        Assert.Equal(expected, model.Forward(tokens, targets, 2, 8));
        Assert.Throws<OperationCanceledException>(() => model.Backward(cancelled.Token));
        Assert.Equal(before, parameters.Values.ToArray());
    }
}
