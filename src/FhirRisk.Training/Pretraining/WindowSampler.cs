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
/// picks an anchor token uniformly from the whole split — so a subject is chosen in proportion to its length — and
/// then the anchor's place in the window uniformly among the T − prefix + 1 places, the window shifted back inside the
/// subject where it would run past either end. Every token is then covered about equally often; the first and last
/// tokens of a timeline about half as often as the middle. (Choosing the start uniformly among the starts that fit
/// would cover the last token of a timeline once per window-width of starts, and the last tokens are where a stay ends
/// and a death is.) The data position is therefore just the next batch index, which a checkpoint stores, and a resumed
/// run draws the same windows.
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

    public WindowSampler(TokenSplit split, TimelineTokenizer tokenizer, int contextLength)
    {
        if (split.Tokens == 0)
            throw new ArgumentException($"The {split.Name} split has no tokens to draw windows from.", nameof(split));
        _split = split;
        _tokenizer = tokenizer;
        _context = contextLength;
        _prefix = tokenizer.PrefixLength;
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
        var (shard, subject, start) = Choose(random);
        var timeline = shard.Tokens(subject);
        var width = _context - _prefix;
        var n = Math.Min(timeline.Length - start, width + 1);

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

    /// <summary>The subject and the timeline index of the first token of row <paramref name="row"/> of batch <paramref name="batch"/>.</summary>
    internal (TokenShard Shard, int Subject, int Start) Choose(ulong seed, ulong batch, int row) =>
        Choose(CounterRng.Block(seed, batch, (ulong)row));

    private (TokenShard Shard, int Subject, int Start) Choose((uint X0, uint X1, uint X2, uint X3) random)
    {
        var (shard, subject, anchor) = _split.Locate((long)Scale(random.X0, random.X1, (ulong)_split.Tokens));
        var width = _context - _prefix;
        var lastStart = Math.Max(0, shard.Tokens(subject).Length - (width + 1));
        var offset = (int)Scale(random.X2, random.X3, (ulong)(width + 1));
        return (shard, subject, Math.Clamp(anchor - offset, 0, lastStart));
    }

    /// <summary>⌊u · n / 2⁶⁴⌋ for the 64-bit u = (high, low): uniform on [0, n) to within n / 2⁶⁴.</summary>
    private static ulong Scale(uint low, uint high, ulong n) => (ulong)(((UInt128)(((ulong)high << 32) | low) * n) >> 64);
}
