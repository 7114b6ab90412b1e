namespace FhirRisk.Model.Gpt;

/// <summary>
/// The shape of a GPT-2 style decoder (DESIGN §5): what a checkpoint's JSON config records and what every buffer size
/// follows from. Immutable; <see cref="Validate"/> is called by everything that allocates from it.
/// </summary>
/// <param name="VocabSize">V, the real vocabulary size (token ids lie in [0, V)).</param>
/// <param name="Layers">L, transformer blocks.</param>
/// <param name="Heads">NH, attention heads; must divide <paramref name="Channels"/>.</param>
/// <param name="Channels">C, the width of the residual stream.</param>
/// <param name="ContextLength">maxT, the longest sequence (rows of the position embedding).</param>
/// <param name="Dropout">Drop probability in [0, 1) on the embeddings and after each attention and MLP projection
/// (training only).</param>
public sealed record GptConfig(int VocabSize, int Layers, int Heads, int Channels, int ContextLength, float Dropout = 0f)
{
    /// <summary>The vocabulary is padded to a multiple of this, so the logits GEMM and the tied embedding have aligned
    /// rows (llm.c pads GPT-2's 50257 to 50304 for the same reason).</summary>
    public const int VocabAlignment = 64;

    /// <summary>Vp, <see cref="VocabSize"/> rounded up to a multiple of <see cref="VocabAlignment"/>; the rows of the
    /// token embedding and the columns of the logits. Columns V..Vp are masked by the loss and softmax kernels.</summary>
    public int PaddedVocabSize => (VocabSize + VocabAlignment - 1) / VocabAlignment * VocabAlignment;

    /// <summary>HS = C / NH, the channels of one attention head.</summary>
    public int HeadSize => Channels / Heads;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    /// <returns>This config, for chaining.</returns>
    public GptConfig Validate()
    {
        Require(VocabSize > 0, nameof(VocabSize), $"must be positive (was {VocabSize}).");
        Require(Layers > 0, nameof(Layers), $"must be positive (was {Layers}).");
        Require(Heads > 0, nameof(Heads), $"must be positive (was {Heads}).");
        Require(Channels > 0, nameof(Channels), $"must be positive (was {Channels}).");
        Require(Channels % Heads == 0, nameof(Channels), $"({Channels}) must be divisible by Heads ({Heads}).");
        Require(ContextLength > 0, nameof(ContextLength), $"must be positive (was {ContextLength}).");
        Require(Dropout is >= 0f and < 1f, nameof(Dropout), $"must lie in [0, 1) (was {Dropout}).");

        // The flat parameter buffer is indexed with int.
        var parameters = (long)PaddedVocabSize * Channels + (long)ContextLength * Channels + 2L * Channels
            + Layers * (12L * Channels * Channels + 4L * Channels);
        Require(parameters <= Array.MaxLength, nameof(Channels), $"gives {parameters} parameters, more than one array holds.");
        return this;
    }

    private static void Require(bool condition, string setting, string problem)
    {
        if (!condition)
            throw new ArgumentException($"GptConfig.{setting} {problem}", setting);
    }
}
