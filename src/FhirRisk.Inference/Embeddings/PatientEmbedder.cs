using FhirRisk.Tokenizer;
using GptModel = FhirRisk.Model.Gpt.Gpt;

namespace FhirRisk.Inference.Embeddings;

/// <summary>
/// The model's hidden state (the ln_f output, what the logits and the task heads read) at a prediction point, with the
/// window the linear probe's featurizer uses (Training's <c>EmbeddingFeaturizer</c>, docs/probes.md): the static prefix
/// rebuilt at the window's first token, then the most recent timeline tokens up to and including the prediction point,
/// as many as fit the whole context (<see cref="PromptedContext"/>). So a probe fitted offline reads the same vector
/// the service returns. Thread-safe: calls take turns on one batch-1 model; <see cref="EmbedAsync(EncodedTimeline, int,
/// EmbeddingPooling, CancellationToken)"/> waits for its turn without holding a thread.
/// </summary>
public sealed class PatientEmbedder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly GptModel _model;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _disposed;

    internal PatientEmbedder(InferenceSession session)
    {
        _session = session;
        _model = new GptModel(session.GenerativeParameters, 1, session.Backend);
    }

    /// <summary>The vector's length: the model's width C.</summary>
    public int Dimension => _session.GenerativeParameters.Config.Channels;

    /// <summary>The embedding of <paramref name="timeline"/> read up to and including token <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not a token of the timeline.</exception>
    /// <exception cref="InferenceException">The model produced a non-finite value (<see cref="InferenceErrorCodes.NonFinite"/>).</exception>
    public PatientEmbedding Embed(EncodedTimeline timeline, int index, EmbeddingPooling pooling) =>
        Embed(Window(timeline, index), pooling);

    /// <summary>The embedding of a window the caller built (a static prefix alone, for a patient with no timeline yet).</summary>
    public PatientEmbedding Embed(int[] window, EmbeddingPooling pooling)
    {
        var rows = Rows(window, pooling);
        _gate.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Pool(Forward(window, rows), rows.Length, pooling, window.Length);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary><see cref="Embed(EncodedTimeline, int, EmbeddingPooling)"/>, waiting for the model's turn without holding a thread.</summary>
    public Task<PatientEmbedding> EmbedAsync(EncodedTimeline timeline, int index, EmbeddingPooling pooling, CancellationToken cancellationToken = default) =>
        EmbedAsync(Window(timeline, index), pooling, cancellationToken);

    /// <summary><see cref="Embed(int[], EmbeddingPooling)"/>, waiting for the model's turn without holding a thread.</summary>
    public async Task<PatientEmbedding> EmbedAsync(int[] window, EmbeddingPooling pooling, CancellationToken cancellationToken = default)
    {
        var rows = Rows(window, pooling);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        float[] hidden;
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            hidden = Forward(window, rows);
        }
        finally
        {
            _gate.Release();
        }
        return Pool(hidden, rows.Length, pooling, window.Length);
    }

    private int[] Window(EncodedTimeline timeline, int index)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        return PromptedContext.Build(_session.Tokenizer, timeline.Tokens, timeline.Times, timeline.Statics, index,
            _session.GenerativeParameters.Config.ContextLength);
    }

    /// <summary>The rows the pooling reads. Causal attention: the hidden state at row i reads tokens 0 … i only, so the last
    /// row sees the whole window.</summary>
    private static int[] Rows(int[] window, EmbeddingPooling pooling)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (!Enum.IsDefined(pooling))
            throw new ArgumentOutOfRangeException(nameof(pooling), "Unknown pooling.");
        return pooling == EmbeddingPooling.Last ? [window.Length - 1] : [.. Enumerable.Range(0, window.Length)];
    }

    /// <summary>The hidden states of <paramref name="rows"/>; the caller holds the model's turn.</summary>
    private float[] Forward(int[] window, int[] rows)
    {
        var hidden = new float[rows.Length * Dimension];
        _model.ForwardHidden(window, 1, window.Length);
        _model.HiddenStates(rows, hidden);
        return hidden;
    }

    private PatientEmbedding Pool(float[] hidden, int rows, EmbeddingPooling pooling, int length)
    {
        var c = Dimension;
        var vector = new float[c];
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < c; j++)
                vector[j] += hidden[r * c + j] / rows;
        }
        if (!vector.All(float.IsFinite))
            throw new InferenceException(InferenceErrorCodes.NonFinite, _session.Directory,
                "the model produced a NaN or infinite hidden state. Hint: the checkpoint is damaged or diverged in training; use an earlier checkpoint.");
        return new PatientEmbedding(vector, pooling, length);
    }

    /// <summary>Frees the model once the running call's turn ends; calls waiting then find it disposed. The gate is left
    /// undisposed, as <see cref="HeadsRiskPredictor.Dispose"/> says why.</summary>
    public void Dispose()
    {
        _disposed = true;
        _gate.Wait();
        try
        {
            _model.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }
}
