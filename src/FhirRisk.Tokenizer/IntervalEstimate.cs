namespace FhirRisk.Tokenizer;

/// <summary>
/// What one interval token stood for in the train split (reference/ethos.md §1.3, ETHOS' <c>interval_estimates.json</c>):
/// statistics of the gaps it encoded, in microseconds, and the duration decoding gives it. A repeated token's gap is
/// shared evenly by its repeats.
/// </summary>
/// <param name="Token">The token, e.g. <c>2h-3h</c>.</param>
/// <param name="LowerBoundMicros">The shortest gap the token stands for.</param>
/// <param name="UpperBoundMicros">The first gap it no longer stands for; null for the repeated last token.</param>
/// <param name="Count">Tokens written for the train split (each repeat counted).</param>
/// <param name="MinMicros">Shortest gap (per repeat); null when <see cref="Count"/> is 0.</param>
/// <param name="MeanMicros">Mean gap (per repeat), rounded down; null when <see cref="Count"/> is 0.</param>
/// <param name="MaxMicros">Longest gap (per repeat); null when <see cref="Count"/> is 0.</param>
/// <param name="DecodeMicros">The duration decoding adds per token: the mean (which lies in the token's range, since every
/// gap averaged does); the range's midpoint when the train split never used the token; and for the repeated token its
/// lower bound, because <c>k</c> repeats decoded as <c>k × bound</c> re-encode to exactly <c>k</c> repeats.</param>
public sealed record IntervalEstimate(
    string Token,
    long LowerBoundMicros,
    long? UpperBoundMicros,
    long Count,
    long? MinMicros,
    long? MeanMicros,
    long? MaxMicros,
    long DecodeMicros);
