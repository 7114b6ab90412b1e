using FhirRisk.Inference.Prediction;
using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;
using FhirRisk.Model.Gpt;
using FhirRisk.Model.Cpu;
using FhirRisk.Testing;

namespace FhirRisk.Inference.Tests;

/// <summary>
/// A failure inside the rollout engine reaches the calls it touched as an error with a code, and never leaves a call
/// waiting (review s16-inference #1: one failed decode step stopped the loop for good; the failing call was reported
/// cancelled and every later call, cancelled or not, waited forever).
/// </summary>
public sealed class RolloutFailureTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_model_whose_logits_overflow_fails_each_call_with_IN004_and_keeps_answering()
    {
        // Finite weights pass the load check, yet their logits overflow to NaN or infinity: a diverged checkpoint.
        using var folder = new TempDirectory();
        TinyModel.Tokenizer.Save(folder.Path);
        var parameters = TinyModel.RandomGpt(TinyModel.Tokenizer.Vocabulary.Count, seed: 1);
        for (var i = 0; i < parameters.Values.Length; i++)
            parameters.Values[i] *= 1e17f;
        Assert.All(parameters.Values, v => Assert.True(float.IsFinite(v)));
        GptCheckpoint.Save(folder.Path, parameters);
        using var session = InferenceSession.Open(folder.Path, new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(4) });
        var predictor = session.CreateRolloutPredictor();
        var timeline = TinyModel.Encode(3);
        var query = new RiskQuery(timeline, timeline.Count - 1, [TaskCatalog.HospitalMortality]);

        for (var call = 0; call < 2; call++)
        {
            var error = await Assert.ThrowsAsync<InferenceException>(() => predictor.PredictAsync(query).WaitAsync(Patience));
            Assert.Equal(InferenceErrorCodes.NonFinite, error.Code);
        }
        Assert.False(predictor.Faulted);
        Assert.Equal(0, predictor.Pool.InUse);
        await predictor.DisposeAsync(); // does not rethrow what the calls were already told
    }

    [Fact]
    public async Task A_backend_fault_in_a_decode_step_fails_that_call_with_IN005_and_the_next_call_is_answered()
    {
        // The compute backend throws inside a rollout step (a device fault): the call gets the error with its code, not a
        // cancellation or a wait without end, and the engine goes on to answer the next call.
        using var folder = new TempDirectory();
        TinyModel.Tokenizer.Save(folder.Path);
        GptCheckpoint.Save(folder.Path, TinyModel.RandomGpt(TinyModel.Tokenizer.Vocabulary.Count, seed: 1));
        using var backend = new FailingBackend(new FhirRisk.Model.ComputeOptions(1)) { Failing = true };
        using var session = InferenceSession.Open(folder.Path, new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(4) }, backend);
        await using var predictor = session.CreateRolloutPredictor();
        var timeline = TinyModel.Encode(3);
        var query = new RiskQuery(timeline, timeline.Count - 1, [TaskCatalog.HospitalMortality]);

        var error = await Assert.ThrowsAsync<InferenceException>(() => predictor.PredictAsync(query).WaitAsync(Patience));
        Assert.Equal(InferenceErrorCodes.RolloutFailed, error.Code);
        Assert.Contains("device fault (test)", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, predictor.Pool.InUse);

        backend.Failing = false;
        var risks = await predictor.PredictAsync(query).WaitAsync(Patience);
        Assert.Equal(RiskMethod.Rollouts, risks[0].Method);
        Assert.False(predictor.Faulted);
    }

    [Fact]
    public async Task Bad_sampling_settings_are_refused_for_that_call_and_the_next_call_is_answered()
    {
        using var session = TinyModel.Open(new InferenceOptions { Threads = 1, Rollouts = Requests.Fixed(4) });
        await using var predictor = session.CreateRolloutPredictor();
        var timeline = TinyModel.Encode(3);
        var prompt = session.RolloutPrompt(timeline, timeline.Count - 1);
        var bad = session.Options.Rollouts with { Sampling = new SamplingSettings(1f, 0, TopP: 2f) };

        var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            predictor.RunAsync(new RolloutRequest(prompt, [session.Task(TaskCatalog.HospitalMortality)], bad)).WaitAsync(Patience));
        Assert.Contains("top-p", refused.Message, StringComparison.Ordinal);

        var risks = await predictor.PredictAsync(new RiskQuery(timeline, timeline.Count - 1, [TaskCatalog.HospitalMortality])).WaitAsync(Patience);
        Assert.Equal(RiskMethod.Rollouts, risks[0].Method);
        Assert.InRange(risks[0].N, 0, 4);
        Assert.Equal(4, predictor.Counters.RolloutsFinished);
    }

    [Fact]
    public void The_sampler_refuses_a_row_that_is_not_a_distribution()
    {
        var scratch = new ulong[3];
        foreach (var row in new[] { new[] { 0f, float.NaN, 1f }, [0f, float.PositiveInfinity, 1f], [float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity] })
        {
            Assert.Throws<ArithmeticException>(() => Sampler.SampleRow(row, SamplingSettings.Ancestral, 1, 0, 0, scratch));
            Assert.Throws<ArithmeticException>(() => Sampler.SampleRow(row, SamplingSettings.Greedy, 1, 0, 0, scratch));
        }
        // A −∞ logit alone is a token never drawn.
        for (var step = 0; step < 50; step++)
            Assert.NotEqual(1, Sampler.SampleRow([0f, float.NegativeInfinity, 0f], SamplingSettings.Ancestral, 7, 0, step, scratch));
    }
}
