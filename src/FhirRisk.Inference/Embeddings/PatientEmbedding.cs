namespace FhirRisk.Inference.Embeddings;

/// <summary>How the hidden states of a window become one vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>The hidden state at the prediction token (what the linear probe reads, docs/probes.md).</summary>
    Last,

    /// <summary>The mean of the hidden states over every position of the window (static prefix included).</summary>
    Mean,
}

/// <summary>A patient's representation at one prediction point.</summary>
/// <param name="Vector">C floats: the model's width.</param>
/// <param name="Pooling">How it was pooled.</param>
/// <param name="Tokens">Positions the model read (the window: static prefix then the most recent timeline tokens).</param>
public sealed record PatientEmbedding(float[] Vector, EmbeddingPooling Pooling, int Tokens);
