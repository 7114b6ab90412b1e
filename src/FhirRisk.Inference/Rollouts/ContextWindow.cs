namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// Which part of a long history the model reads (docs/inference.md "Long histories"): the static prefix, then the
/// most recent timeline tokens. While prefix and timeline fit in the context length T, the window is all of it. When
/// one more token would overflow it, the window jumps forward so that it holds T − <see cref="Slide"/> tokens, leaving
/// room for <see cref="Slide"/> more before the next jump. ETHOS slides by one token every step and recomputes the
/// whole context each time; with a KV cache and learned absolute positions every jump means re-reading the window, so
/// jumping by <see cref="Slide"/> amortises that over <see cref="Slide"/> tokens. The cached scheduler and the
/// no-cache reference both move their windows by this one rule, so they see the same contexts.
/// </summary>
public sealed class ContextWindow
{
    /// <param name="prefixLength">P, the static prefix kept at the front of every window.</param>
    /// <param name="contextLength">T, the model's positions.</param>
    /// <param name="slide">S, the timeline tokens dropped per jump, in 1..T − P − 1.</param>
    public ContextWindow(int prefixLength, int contextLength, int slide)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        if (slide < 1 || slide >= contextLength - prefixLength)
            throw new ArgumentOutOfRangeException(nameof(slide), $"The slide must lie in 1..{contextLength - prefixLength - 1} for a context of {contextLength} with a {prefixLength}-token prefix (got {slide}).");
        (PrefixLength, ContextLength, Slide) = (prefixLength, contextLength, slide);
    }

    public int PrefixLength { get; }

    public int ContextLength { get; }

    public int Slide { get; }

    /// <summary>The first timeline token in the window.</summary>
    public int Start { get; private set; }

    /// <summary>How often the window has jumped; 0 while it still starts where the prompt did.</summary>
    public int Jumps { get; private set; }

    /// <summary>Tokens in the window (prefix included) for a timeline of <paramref name="timelineLength"/> tokens.</summary>
    public int Length(int timelineLength) => PrefixLength + timelineLength - Start;

    /// <summary>
    /// Fits the window to a timeline that has grown to <paramref name="timelineLength"/> tokens; true when it jumped
    /// (a cache must re-read it). A prompt longer than the context jumps on its first fit.
    /// </summary>
    public bool Fit(int timelineLength)
    {
        if (Length(timelineLength) <= ContextLength)
            return false;
        Start = timelineLength - (ContextLength - PrefixLength - Slide);
        Jumps++;
        return true;
    }

    /// <summary>The default slide: a quarter of the timeline room (at least one token).</summary>
    public static int DefaultSlide(int prefixLength, int contextLength) => Math.Max(1, (contextLength - prefixLength) / 4);
}
