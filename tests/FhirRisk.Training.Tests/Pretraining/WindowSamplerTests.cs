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

    [Fact]
    public void Fill_EveryWindow_IsOneSubjectsPrefixAtItsStartThenItsConsecutiveTokens()
    {
        var sampler = new WindowSampler(_train, _tokenizer, Context);
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

    [Fact]
    public void Fill_IsAFunctionOfSeedAndBatch()
    {
        var sampler = new WindowSampler(_train, _tokenizer, Context);
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
    public void Choose_CoversTheEndsOfATimelineAboutHalfAsOftenAsItsMiddle()
    {
        // The 72-token subject (the longest, several windows long): count the windows holding each of its tokens as a
        // target. Starts drawn uniformly among those that fit would hold its last token ~1/13 as often as its middle.
        var sampler = new WindowSampler(_train, _tokenizer, Context);
        var width = Context - _tokenizer.PrefixLength;
        var longest = Enumerable.Range(0, (int)_train.Tokens).Select(t => _train.Locate(t)).MaxBy(l => l.Shard.Tokens(l.Subject).Length);
        var length = longest.Shard.Tokens(longest.Subject).Length;
        var covered = new int[length];
        for (var batch = 0UL; batch < 100_000; batch++)
        {
            var (shard, subject, start) = sampler.Choose(seed: 5, batch, row: 0);
            if (shard != longest.Shard || subject != longest.Subject)
                continue;
            Assert.InRange(start, 0, length - (width + 1));
            for (var i = start; i < start + width + 1; i++)
                covered[i]++;
        }

        var middle = covered[(length / 2 - 5)..(length / 2 + 5)].Average();
        Assert.True(middle > 1_000, $"the longest subject was drawn too rarely ({middle} windows over its middle)");
        Assert.InRange(covered[^1] / middle, 0.4, 0.75);
        Assert.InRange(covered[0] / middle, 0.4, 0.75);
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
                if (Math.Min(timeline.Length - start, Context - prefix + 1) != n
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
