using FhirRisk.Model.Checkpoints;
using FhirRisk.Model.Cpu;
using FhirRisk.Model.Gpt;
using FhirRisk.Testing;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Model.Tests.Gpt;

public sealed class GptCheckpointTests
{
    private static readonly GptConfig Config = new(VocabSize: 37, Layers: 2, Heads: 2, Channels: 16, ContextLength: 8);
    private static readonly int[] Tokens = [.. Enumerable.Range(0, 16).Select(i => (i * 7) % 37)];
    private static readonly int[] Targets = [.. Tokens.Skip(1).Append(3)];

    [Fact]
    public void SaveLoad_RoundTripsParametersAndConfig()
    {
        using var dir = new TempDirectory();
        var saved = GptParameters.Initialize(Config, seed: 7);

        GptCheckpoint.Save(dir.Path, saved);
        var loaded = GptCheckpoint.Load(dir.Path);

        Assert.Equal(Config, loaded.Config);
        Assert.Equal(saved.Values, loaded.Values);
    }

    [Fact]
    public void Resume_FromCheckpoint_ContinuesBitForBit()
    {
        using var dir = new TempDirectory();
        var straight = Train(GptParameters.Initialize(Config, seed: 3), steps: 6, saveAfter: null, dir.Path);

        var firstHalf = GptParameters.Initialize(Config, seed: 3);
        Train(firstHalf, steps: 3, saveAfter: 3, dir.Path);
        var resumed = GptCheckpoint.Load(dir.Path);
        var count = resumed.Values.Length;
        var (m, v) = (new float[count], new float[count]);
        var progress = GptCheckpoint.LoadOptimizer(dir.Path, resumed.Layout, m, v);
        Assert.Equal(3, progress.Step);
        var continued = Train(resumed, steps: 3, saveAfter: null, dir.Path, m, v, firstStep: 4);

        Assert.Equal(straight, continued);
    }

    [Fact]
    public void Load_ConfigThatDoesNotMatchTheTensors_ActionableError()
    {
        using var dir = new TempDirectory();
        GptCheckpoint.Save(dir.Path, GptParameters.Initialize(Config, seed: 1));
        var configPath = Path.Combine(dir.Path, Checkpoint.ConfigFileName);
        File.WriteAllText(configPath, """{"vocab_size":37,"n_layer":2,"n_head":2,"n_embd":24,"block_size":8,"dropout":0}""");

        var error = Assert.Throws<CheckpointException>(() => GptCheckpoint.Load(dir.Path));

        Assert.Contains("transformer.wte.weight", error.Message, StringComparison.Ordinal);
    }

    /// <summary>AdamW steps on a fixed batch; returns the final parameters, saving a resumable checkpoint after <paramref name="saveAfter"/> steps.</summary>
    private static float[] Train(GptParameters parameters, int steps, int? saveAfter, string directory, float[]? m = null, float[]? v = null, int firstStep = 1)
    {
        var model = new GptModel(parameters, maxBatch: 2, ComputeOptions.SingleThreaded);
        var optimizer = new GptOptimizer(model, new AdamWSettings(WeightDecay: 0.1, MaxGradientNorm: float.PositiveInfinity));
        if (m is not null && v is not null)
            optimizer.LoadState(m, v, firstStep - 1);
        for (var step = firstStep; step < firstStep + steps; step++)
        {
            model.Forward(Tokens, Targets, 2, 8);
            model.ZeroGradients();
            model.Backward();
            optimizer.Step(learningRate: 1e-2);
            if (step == saveAfter)
            {
                var (savedM, savedV) = optimizer.ReadState();
                GptCheckpoint.Save(directory, parameters, savedM, savedV, new TrainingProgress(step, RngSeed: 0, RngCounter: 0));
            }

        }
        return parameters.Values;
    }
}
