using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Rollouts;

/// <summary>What a generated token means to a rollout's judge.</summary>
public enum TokenRole
{
    /// <summary>A code token (or a subtoken, a <c>Q</c> bin): an event at the current time.</summary>
    Event,

    /// <summary>A time-interval token: the clock moves on by its duration.</summary>
    Interval,

    /// <summary><c>TIMELINE_END</c>: the generated history ends here.</summary>
    TimelineEnd,
}

/// <summary>
/// The tokenizer's vocabulary read as a rollout needs it: per id, its role, the MEDS code the task definitions match
/// against, and for interval tokens the duration they add. Durations are the tokenizer's <c>decode_us</c> — the train
/// mean of each bin, 180 d per repeated <c>=6mt</c> — so a rollout's clock is the one decoding its tokens to MEDS
/// events would give, and a decoded rollout labels to the outcome its judge saw (docs/inference.md "Time").
/// </summary>
public sealed class TokenMeanings
{
    private readonly TokenRole[] _roles;
    private readonly string[] _codes;
    private readonly long[] _micros;

    private TokenMeanings(TokenRole[] roles, string[] codes, long[] micros)
    {
        (_roles, _codes, _micros) = (roles, codes, micros);
        TimelineEnds = [.. Enumerable.Range(0, roles.Length).Where(id => roles[id] == TokenRole.TimelineEnd)];
    }

    /// <summary>The ids a rollout may sample: the tokenizer's vocabulary. Task tokens and padding lie above it.</summary>
    public int Count => _roles.Length;

    public TokenRole RoleOf(int id) => _roles[id];

    /// <summary>The ids of <see cref="TokenRole.TimelineEnd"/> tokens, found once rather than per rollout.</summary>
    public IReadOnlyList<int> TimelineEnds { get; }

    /// <summary>
    /// The code task definitions match: the token itself, except that <c>UNK//X</c> (a code of vocabulary X too rare
    /// to have its own token) reads as the bare <c>X</c>, so an unknown discharge disposition still ends a stay but is
    /// never a positive "died" disposition. A hierarchy subtoken after the category (an ICD remainder or suffix) has
    /// the empty code: it continues the event its category token began, which the judge has already matched, and alone
    /// (a subtoken generated without its category) it writes no event, so it must not stop or decide a rollout either.
    /// </summary>
    public string CodeOf(int id) => _codes[id];

    /// <summary>The duration an interval token adds, in microseconds; 0 for other tokens.</summary>
    public long MicrosOf(int id) => _micros[id];

    public static TokenMeanings Of(TimelineTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var vocabulary = tokenizer.Vocabulary;
        var roles = new TokenRole[vocabulary.Count];
        var codes = new string[vocabulary.Count];
        var micros = new long[vocabulary.Count];
        for (var id = 0; id < vocabulary.Count; id++)
        {
            var token = vocabulary[id];
            codes[id] = tokenizer.IsContinuation(id) ? ""
                : token.StartsWith(Vocabulary.UnknownPrefix, StringComparison.Ordinal) ? token[Vocabulary.UnknownPrefix.Length..] : token;
        }
        for (var i = 0; i < tokenizer.Intervals.Count; i++)
        {
            var id = vocabulary.IdOf(tokenizer.Settings.Intervals[i].Name);
            roles[id] = TokenRole.Interval;
            micros[id] = tokenizer.Intervals[i].DecodeMicros;
        }
        roles[vocabulary.IdOf(Vocabulary.TimelineEnd)] = TokenRole.TimelineEnd;
        return new TokenMeanings(roles, codes, micros);
    }
}
