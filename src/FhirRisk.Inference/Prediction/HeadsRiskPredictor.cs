using System.Diagnostics;
using FhirRisk.Model.Heads;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Inference.Prediction;

/// <summary>
/// Answers every finetuned task in one forward pass (docs/finetuning.md, heads.md): the context the finetuner built
/// (<see cref="InferenceSession.HeadsContext"/>), all K task tokens appended, and each head's calibrated probability
/// of the hidden state at its token — <see cref="PromptedForward"/>, the very code the finetuner calibrates with.
/// Thread-safe: calls take turns on the one model.
/// </summary>
public sealed class HeadsRiskPredictor : IRiskPredictor, IDisposable
{
    private readonly InferenceSession _session;
    private readonly TaskHeads _heads;
    private readonly GptModel _model;
    private readonly Lock _gate = new();

    internal HeadsRiskPredictor(InferenceSession session, TaskHeads heads)
    {
        (_session, _heads) = (session, heads);
        _model = new GptModel(session.Parameters, 1, session.Backend);
    }

    public RiskMethod Method => RiskMethod.Heads;

    public IReadOnlyList<string> Tasks => _heads.Tasks;

    public Task<IReadOnlyList<TaskRisk>> PredictAsync(RiskQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        var indices = query.Tasks.Select(IndexOf).ToArray();
        var probabilities = Predict([_session.HeadsContext(query.Timeline, query.Index)]);
        var latency = clock.Elapsed;
        IReadOnlyList<TaskRisk> risks = [.. indices.Select(k => new TaskRisk(_heads.Tasks[k], probabilities[k], null, RiskMethod.Heads, 0, latency))];
        return Task.FromResult(risks);
    }

    /// <summary>(N, K) the calibrated probability of every head for every context, in <see cref="TaskHeads.Tasks"/> order.</summary>
    /// <param name="contexts">Contexts of at most T − K ids (<see cref="InferenceSession.HeadsContext"/>).</param>
    public double[] Predict(IReadOnlyList<int[]> contexts)
    {
        lock (_gate)
            return PromptedForward.Probabilities(_model, _heads, contexts, maxBatch: 1);
    }

    public void Dispose() => _model.Dispose();

    private int IndexOf(string task) => _heads.IndexOf(task) is var k and >= 0
        ? k
        : throw new InferenceException(InferenceErrorCodes.UnknownTask, task,
            $"the model has no finetuned head for this task. Hint: ask for one of {string.Join(", ", _heads.Tasks)}, or predict it by rollouts.");
}
