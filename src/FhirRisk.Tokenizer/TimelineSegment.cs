namespace FhirRisk.Tokenizer;

/// <summary>
/// One event of a token sequence as the tokenizer wrote it (<see cref="TimelineTokenizer.Segment"/>): the interval
/// token(s) that moved the clock to it, its code token(s) — an ICD category with its remainder and suffix subtokens —
/// and its decile token. Tokens <see cref="Start"/> … <see cref="EventStart"/> − 1 are the time tokens,
/// <see cref="EventStart"/> … <see cref="End"/> − 1 the event's own.
/// </summary>
/// <param name="Start">The first token of the segment (its first interval token, when it has one).</param>
/// <param name="EventStart">The first token of the event itself; <see cref="End"/> for a segment of time tokens only.</param>
/// <param name="End">One past the last token.</param>
/// <param name="Code">The event's code as decoding writes it (<c>ICD10CM//E11.9</c>, <c>UNK//LOINC</c>); null for time
/// tokens that no event followed, or a decile token that follows no code.</param>
/// <param name="Bin">The decile (1–10) of the event's value when a <c>Q</c> token follows its code.</param>
/// <param name="NumericValue">The value decoding gives that decile (the train mean of the bin), when the code is quantized.</param>
public readonly record struct TimelineSegment(int Start, int EventStart, int End, string? Code, int? Bin, float? NumericValue)
{
    /// <summary>Tokens in the segment.</summary>
    public int Length => End - Start;

    /// <summary>True when the segment holds interval tokens.</summary>
    public bool HasTime => EventStart > Start;

    /// <summary>The break below the decile's values (a value of the bin is above it); null for the lowest bin or no
    /// decile.</summary>
    public float? BinLower { get; init; }

    /// <summary>The break the decile's values do not exceed; null for the highest bin or no decile.</summary>
    public float? BinUpper { get; init; }
}
