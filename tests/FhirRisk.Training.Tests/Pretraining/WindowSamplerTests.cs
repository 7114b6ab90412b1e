using FhirRisk.Testing;
using FhirRisk.Tokenizer;
using FhirRisk.Training.Pretraining;

namespace FhirRisk.Training.Tests.Pretraining;

public sealed class WindowSamplerTests : IDisposable
{
    private const int Context = 16;
    private const int Rows = 8;

    private readonly TempDirectory _temp = new();
    private readonly TimelineTokenizer _tokenizer;
    private readonly TokenSplit _train;

    public WindowSamplerTests()
    {
        string tokens;
        (_tokenizer, tokens) = TokenData.Cycle(_temp.Path);
        _train = TokenSplit.Open(tokens, "train", _tokenizer);
    }

    public void Dispose()
    {
        _train.Dispose();
        _temp.Dispose();
    }

    [Theory]
    [InlineData(WindowSampling.Anchored)]
    [InlineData(WindowSampling.Uniform)]
    public void Fill_EveryWindow_IsOneSubjectsPrefixAtItsStartThenItsConsecutiveTokens(WindowSampling sampling)
    {
        var sampler = new WindowSampler(_train, _tokenizer, Context, sampling);
        var (tokens, targets) = (new int[Rows * Context], new int[Rows * Context]);
        var shortWindows = 0;

        for (var batch = 0UL; batch < 20; batch++)
        {
            sampler.Fill(seed: 3, batch, Rows, tokens, targets);
            for (var r = 0; r < Rows; r++)
            {
                var row = (tokens.AsSpan(r * Context, Context).ToArray(), targets.AsSpan(r * Context, Context).ToArray());
                Assert.True(MatchesOneSubject(row.Item1, row.Item2, out var padded), $"batch {batch} row {r} is not a window of one subject");
                shortWindows += padded ? 1 : 0;
            }
        }

        Assert.True(shortWindows > 0, "the data has timelines shorter than a window; some windows should be padded");
    }

    [Theory]
    [InlineData(WindowSampling.Anchored)]
    [InlineData(WindowSampling.Uniform)]
    public void Fill_IsAFunctionOfSeedAndBatch(WindowSampling sampling)
    {
        var sampler = new WindowSampler(_train, _tokenizer, Context, sampling);
        int[] Draw(ulong seed, ulong batch)
        {
            var (tokens, targets) = (new int[Rows * Context], new int[Rows * Context]);
            sampler.Fill(seed, batch, Rows, tokens, targets);
            return [.. tokens, .. targets];
        }

        Assert.Equal(Draw(1, 7), Draw(1, 7));
        Assert.NotEqual(Draw(1, 7), Draw(1, 8));
        Assert.NotEqual(Draw(1, 7), Draw(2, 7));
    }

    [Fact]
    public void Locate_SkipsSubjectsWithoutTokens()
    {
        for (var token = 0L; token < _train.Tokens; token++)
        {
            var (shard, subject, _) = _train.Locate(token);
            Assert.NotEqual(0, shard.Tokens(subject).Length);
        }
    }

    [Fact]
    public void Locate_GivesTheTokensIndexInItsSubjectsTimeline()
    {
        var (previous, index) = (-1, 0);
        for (var token = 0L; token < _train.Tokens; token++)
        {
            var (_, subject, position) = _train.Locate(token);
            index = subject == previous ? index + 1 : 0;
            previous = subject;
            Assert.Equal(index, position);
        }
    }

    [Fact]
    public void Choose_Anchored_CoversTheEndsOfATimelineAboutHalfAsOftenAsItsMiddle()
    {
        // The longest subject (several windows long): count the windows holding each of its tokens as a
        // target. Starts drawn uniformly among those that fit would hold its last token ~1/13 as often as its middle.
        var (covered, middle, _) = Coverage(WindowSampling.Anchored);

        Assert.InRange(covered[^1] / middle, 0.4, 0.75);
        Assert.InRange(covered[0] / middle, 0.4, 0.75);
    }

    [Fact]
    public void Choose_Uniform_CoversEveryTokenOfATimelineEquallyOften_ItsEndsIncluded()
    {
        var (covered, middle, padded) = Coverage(WindowSampling.Uniform);
        var length = covered.Length;

        // Poisson noise on ~1,500 draws is about 2.6 %; a half-covered end would read 0.5.
        Assert.InRange(covered[0] / middle, 0.9, 1.1);
        Assert.InRange(covered[^1] / middle, 0.9, 1.1);
        Assert.InRange(covered.Min() / middle, 0.85, 1.15);
        Assert.InRange(covered.Max() / middle, 0.85, 1.15);
        // Starts are uniform over the L + W pairs: W of them start before the timeline and W run past its end.
        var width = Context - _tokenizer.PrefixLength;
        Assert.InRange(padded, 0.7 * 2 * width / (length + width), 1.3 * 2 * width / (length + width));
    }

    /// <summary>How often each token of the longest subject is a target over 100,000 rows, the mean over
    /// its middle ten, and the fraction of its windows with fewer than W + 1 targets.</summary>
    private (int[] Covered, double Middle, double Short) Coverage(WindowSampling sampling)
    {
        var sampler = new WindowSampler(_train, _tokenizer, Context, sampling);
        var width = Context - _tokenizer.PrefixLength;
        var longest = Enumerable.Range(0, (int)_train.Tokens).Select(t => _train.Locate(t)).MaxBy(l => l.Shard.Tokens(l.Subject).Length);
        var length = longest.Shard.Tokens(longest.Subject).Length;
        var covered = new int[length];
        var (windows, shortWindows) = (0, 0);
        for (var batch = 0UL; batch < 100_000; batch++)
        {
            var (shard, subject, start, count) = sampler.Choose(seed: 5, batch, row: 0);
            if (shard != longest.Shard || subject != longest.Subject)
                continue;
            Assert.InRange(start, 0, length - 1);
            Assert.InRange(count, 1, Math.Min(width + 1, length - start));
            windows++;
            shortWindows += count < width + 1 ? 1 : 0;
            for (var i = start; i < start + count; i++)
                covered[i]++;
        }
        var middle = covered[(length / 2 - 5)..(length / 2 + 5)].Average();
        Assert.True(middle > 1_000, $"the longest subject was drawn too rarely ({middle} windows over its middle)");
        return (covered, middle, shortWindows / (double)windows);
    }

    /// <summary>
    /// Whether some subject and start give exactly this row: the prefix at the start's time, then the subject's tokens
    /// from the start, targets shifted by one (the last prefix position predicting the first token), the rest ignored.
    /// </summary>
    private bool MatchesOneSubject(int[] tokens, int[] targets, out bool padded)
    {
        var prefix = _tokenizer.PrefixLength;
        var n = targets.Count(t => t != WindowSampler.IgnoreIndex);
        var inputs = Math.Min(n, Context - prefix);
        padded = prefix + n - 1 < Context;
        for (var token = 0L; token < _train.Tokens;)
        {
            var (shard, subject, _) = _train.Locate(token);
            var timeline = shard.Tokens(subject);
            token += timeline.Length;
            for (var start = 0; start < timeline.Length; start++)
            {
                // A window holds min(L − start, W + 1) targets, or fewer when it starts before the timeline (uniform windows).
                var full = Math.Min(timeline.Length - start, Context - prefix + 1);
                if ((n != full && (start != 0 || n > full))
                    || !timeline.Slice(start, inputs).SequenceEqual(tokens.AsSpan(prefix, inputs))
                    || !_tokenizer.PrefixAt(shard.Statics(subject, _tokenizer), shard.Times(subject)[start]).AsSpan().SequenceEqual(tokens.AsSpan(0, prefix)))
                    continue;
                var expected = Enumerable.Repeat(WindowSampler.IgnoreIndex, Context).ToArray();
                for (var j = prefix - 1; j < prefix + n - 1; j++)
                    expected[j] = timeline[start + j + 1 - prefix];
                if (expected.SequenceEqual(targets))
                    return true;
            }
        }
        return false;
    }
}
