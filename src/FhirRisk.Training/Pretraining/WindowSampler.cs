using FhirRisk.Model.Cpu;
using FhirRisk.Tokenizer;

namespace FhirRisk.Training.Pretraining;

/// <summary>
/// Draws training windows from a <see cref="TokenSplit"/> (docs/training.md "Windows"): each row of a batch is one
/// subject's static prefix, rebuilt at the window's first timeline token (<see cref="TimelineTokenizer.PrefixAt(SubjectStatics, long)"/>,
/// as ETHOS, reference/ethos.md §1.2), followed by up to T − prefix consecutive tokens of that subject's timeline. A
/// window never crosses into another subject: a timeline shorter than the window is padded, with no target.
/// </summary>
/// <remarks>
/// Row r of batch b is a pure function of (seed, b, r): one Philox block (<see cref="CounterRng"/>, stream b, block r)
/// chooses the window by the run's <see cref="WindowSampling"/> (W = T − prefix; a window holds W + 1 targets):
/// <list type="bullet">
/// <item><see cref="WindowSampling.Anchored"/>: an anchor token drawn uniformly from the whole split (so a subject in
/// proportion to its length L), then its place in the window uniformly among the W + 1 places, the window shifted back
/// inside the timeline where it would run past either end. Windows are full (unless the timeline is shorter), the
/// first and last tokens of a timeline are covered half as often as its middle.</item>
/// <item><see cref="WindowSampling.Uniform"/>: a (subject, start) pair uniformly among the L + W pairs of every
/// subject, starts from −W to L − 1; a window that starts before the timeline holds only its first tokens, one that runs
/// past its end is padded. Every token of every timeline is a target of exactly W + 1 pairs, its first and last tokens
/// as often as its middle — and the last tokens are where a stay ends in a death. The price is padding: about
/// W / (L + W) of a window's places.</item>
/// </list>
/// (Drawing the start among the starts that fit, the first rule, covered the last token once per W + 1 starts.) The
/// data position is therefore just the next batch index, which a checkpoint stores, and a resumed run draws the same
/// windows.
/// </remarks>
internal sealed class WindowSampler
{
    /// <summary>The target of a position that predicts nothing (padding, the static prefix); the loss skips it.</summary>
    public const int IgnoreIndex = -100;

    /// <summary>The input id of padding; no real position attends to it (causal attention, padding comes last).</summary>
    private const int PaddingId = 0;

    private readonly TokenSplit _split;
    private readonly TimelineTokenizer _tokenizer;
    private readonly int _context;
    private readonly int _prefix;
    private readonly WindowSampling _sampling;
    private readonly (TokenShard Shard, int Subject)[] _subjects;

    /// <summary>(subject, start) pairs of the subjects before each one: subject i has L_i + W of them.</summary>
    private readonly long[] _pairsBefore;

    public WindowSampler(TokenSplit split, TimelineTokenizer tokenizer, int contextLength, WindowSampling sampling)
    {
        if (split.Tokens == 0)
            throw new ArgumentException($"The {split.Name} split has no tokens to draw windows from.", nameof(split));
        _split = split;
        _tokenizer = tokenizer;
        _context = contextLength;
        _prefix = tokenizer.PrefixLength;
        _sampling = sampling;
        var width = contextLength - _prefix;
        var subjects = sampling == WindowSampling.Uniform ? split.SubjectsWithTokens().ToArray() : [];
        _subjects = [.. subjects.Select(s => (s.Shard, s.Subject))];
        _pairsBefore = new long[subjects.Length + 1];
        for (var i = 0; i < subjects.Length; i++)
            _pairsBefore[i + 1] = _pairsBefore[i] + subjects[i].Length + width;
    }

    /// <summary>Fills batch <paramref name="batch"/>: (B, T) input ids and next-token targets (<see cref="IgnoreIndex"/> where none).</summary>
    /// <param name="seed">The sampler's seed.</param>
    /// <param name="batch">The batch index (the data position).</param>
    /// <param name="rows">B, windows.</param>
    /// <param name="tokens">(B, T) written.</param>
    /// <param name="targets">(B, T) written.</param>
    public void Fill(ulong seed, ulong batch, int rows, Span<int> tokens, Span<int> targets)
    {
        for (var r = 0; r < rows; r++)
            FillRow(CounterRng.Block(seed, batch, (ulong)r), tokens.Slice(r * _context, _context), targets.Slice(r * _context, _context));
    }

    /// <summary>
    /// One window: seq = prefix ‖ timeline[start, start + n) with n ≤ T − prefix + 1; inputs are seq[0, T), targets
    /// seq[1, T + 1), and a target is kept only where it is a timeline token (so the last prefix position predicts the
    /// window's first token, as in ETHOS, and the prefix itself is never a target).
    /// </summary>
    private void FillRow((uint X0, uint X1, uint X2, uint X3) random, Span<int> tokens, Span<int> targets)
    {
        var (shard, subject, start, n) = Choose(random);
        var timeline = shard.Tokens(subject);
        var width = _context - _prefix;

        _tokenizer.PrefixAt(shard.Statics(subject, _tokenizer), shard.Times(subject)[start], tokens[.._prefix]);
        var inputs = Math.Min(n, width);
        timeline.Slice(start, inputs).CopyTo(tokens[_prefix..]);
        tokens[(_prefix + inputs)..].Fill(PaddingId);

        // targets[j] = seq[j + 1] for the j whose successor is a timeline token: j ∈ [max(prefix − 1, 0), prefix + n − 1).
        var first = Math.Max(_prefix - 1, 0);
        var end = _prefix + n - 1;
        targets[..first].Fill(IgnoreIndex);
        for (var j = first; j < end; j++)
            targets[j] = timeline[start + j + 1 - _prefix];
        targets[end..].Fill(IgnoreIndex);
    }

    /// <summary>
    /// The subject of row <paramref name="row"/> of batch <paramref name="batch"/>, the timeline index of its window's
    /// first token and the number of its timeline tokens the window holds as targets (1 … T − prefix + 1).
    /// </summary>
    internal (TokenShard Shard, int Subject, int Start, int Count) Choose(ulong seed, ulong batch, int row) =>
        Choose(CounterRng.Block(seed, batch, (ulong)row));

    private (TokenShard Shard, int Subject, int Start, int Count) Choose((uint X0, uint X1, uint X2, uint X3) random) =>
        _sampling == WindowSampling.Anchored ? ChooseAnchored(random) : ChooseUniform(random);

    /// <summary>An anchor token, its place in the window, the window shifted back inside the timeline.</summary>
    private (TokenShard Shard, int Subject, int Start, int Count) ChooseAnchored((uint X0, uint X1, uint X2, uint X3) random)
    {
        var width = _context - _prefix;
        var (shard, subject, anchor) = _split.Locate((long)Scale(random.X0, random.X1, (ulong)_split.Tokens));
        var length = shard.Tokens(subject).Length;
        var offset = (int)Scale(random.X2, random.X3, (ulong)(width + 1));
        var start = Math.Clamp(anchor - offset, 0, Math.Max(0, length - (width + 1)));
        return (shard, subject, start, Math.Min(length - start, width + 1));
    }

    /// <summary>A (subject, start) pair among the L + W of every subject, starts from −W to L − 1, cut to the timeline.</summary>
    private (TokenShard Shard, int Subject, int Start, int Count) ChooseUniform((uint X0, uint X1, uint X2, uint X3) random)
    {
        var width = _context - _prefix;
        var pair = (long)Scale(random.X0, random.X1, (ulong)_pairsBefore[^1]);
        var index = TokenSplit.LastAtOrBefore(_pairsBefore.AsSpan(0, _pairsBefore.Length - 1), pair);
        var (shard, subject) = _subjects[index];
        var length = shard.Tokens(subject).Length;
        var start = (int)(pair - _pairsBefore[index]) - width;
        var first = Math.Max(start, 0);
        return (shard, subject, first, Math.Min(length, start + width + 1) - first);
    }

    /// <summary>⌊u · n / 2⁶⁴⌋ for the 64-bit u = (high, low): uniform on [0, n) to within n / 2⁶⁴.</summary>
    private static ulong Scale(uint low, uint high, ulong n) => (ulong)(((UInt128)(((ulong)high << 32) | low) * n) >> 64);
}

/// <summary>How pretraining draws its windows (docs/training.md "Sampling").</summary>
public enum WindowSampling
{
    /// <summary>An anchor token drawn uniformly, the window shifted inside the timeline: full windows, the ends of a
    /// timeline covered half as often as its middle. The default; the demo's task heads are finetuned from it.</summary>
    Anchored,

    /// <summary>A start drawn uniformly among every window that holds a token: every token covered equally often, the
    /// ends included, at the price of padding. For a generative backbone (zero-shot rollouts, synthetic patients).</summary>
    Uniform,
}
