using FhirRisk.Inference.Explanations;
using FhirRisk.Inference.Embeddings;
using FhirRisk.Inference.Prediction;
using FhirRisk.Meds.Tasks;

namespace FhirRisk.Inference.Tests;

/// <summary>
/// The heads and the embedder run one forward pass at a time on one model. A call waiting for its turn must not hold a
/// thread (review s21-grpc M2: a hundred heads calls blocked on a lock starved the server's thread pool, so a health
/// check waited seconds), and a caller that gives up while waiting leaves the queue at once.
/// </summary>
public sealed class ModelTurnTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Heads_and_embedding_calls_wait_for_the_model_without_holding_a_thread()
    {
        using var backend = new FailingBackend(new FhirRisk.Model.ComputeOptions(1));
        using var session = InferenceSession.Open(FinetunedTinyModel.Value.Directory, new InferenceOptions { Threads = 1 }, backend);
        using var heads = session.CreateHeadsPredictor();
        using var embedder = session.CreateEmbedder();
        var timeline = TinyModel.Encode(3, stays: 2);
        var query = new RiskQuery(timeline, timeline.Count - 1, [TaskCatalog.HospitalMortality]);
        var explanation = new ExplanationQuery(timeline, timeline.Count - 1, TaskCatalog.HospitalMortality);
        var expected = (await heads.PredictAsync(query))[0].Risk;

        using var hold = new ManualResetEventSlim();
        backend.Hold = hold;
        // One call of each holds its model's turn, stopped inside a forward pass.
        var first = Task.Run(() => heads.PredictAsync(query));
        var firstEmbedding = Task.Run(() => embedder.EmbedAsync(timeline, timeline.Count - 1, EmbeddingPooling.Last));
        Assert.True(SpinWait.SpinUntil(() => backend.Held == 2, Patience), "the first calls never reached the models");

        // Each call returns its task at once, unfinished: the caller's thread is not kept while the model is busy.
        using var giveUp = new CancellationTokenSource();
        var started = await Task.Run(() => new Task[]
        {
            heads.PredictAsync(query),
            heads.ExplainAsync(explanation),
            embedder.EmbedAsync(timeline, timeline.Count - 1, EmbeddingPooling.Last),
            heads.PredictAsync(query, giveUp.Token),
        }).WaitAsync(Patience);
        Assert.All(started, t => Assert.False(t.IsCompleted));
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => started[3].WaitAsync(Patience));

        backend.Hold = null;
        hold.Set();
        Assert.Equal(expected, (await first.WaitAsync(Patience))[0].Risk);
        await firstEmbedding.WaitAsync(Patience);
        Assert.Equal(expected, (await ((Task<IReadOnlyList<TaskRisk>>)started[0]).WaitAsync(Patience))[0].Risk);
        await started[1].WaitAsync(Patience);
        Assert.Equal(embedder.Embed(timeline, timeline.Count - 1, EmbeddingPooling.Last).Vector, (await ((Task<PatientEmbedding>)started[2]).WaitAsync(Patience)).Vector);
    }

    [Fact]
    public async Task Disposed_while_calls_wait_the_running_call_ends_and_the_waiting_ones_are_told()
    {
        // Review s21-changes L1 and s21-fixes L6: a waiting call hung, or ran on the freed model.
        using var backend = new FailingBackend(new FhirRisk.Model.ComputeOptions(1));
        using var session = InferenceSession.Open(FinetunedTinyModel.Value.Directory, new InferenceOptions { Threads = 1 }, backend);
        var heads = session.CreateHeadsPredictor();
        var timeline = TinyModel.Encode(3, stays: 2);
        var query = new RiskQuery(timeline, timeline.Count - 1, [TaskCatalog.HospitalMortality]);
        using var hold = new ManualResetEventSlim();
        backend.Hold = hold;
        var running = Task.Run(() => heads.PredictAsync(query));
        Assert.True(SpinWait.SpinUntil(() => backend.Held == 1, Patience), "the first call never reached the model");
        // The call's task, returned at once (not unwrapped): it waits for the model's turn.
        var waiting = await Task.Factory.StartNew(() => heads.PredictAsync(query), CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default)
            .WaitAsync(Patience);
        Assert.False(waiting.IsCompleted);

        var disposing = Task.Run(heads.Dispose);
        await Task.Delay(100);
        Assert.False(disposing.IsCompleted); // it waits for the running call's turn
        backend.Hold = null;
        hold.Set();

        Assert.Single(await running.WaitAsync(Patience));
        await disposing.WaitAsync(Patience);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Patience));
    }
}
