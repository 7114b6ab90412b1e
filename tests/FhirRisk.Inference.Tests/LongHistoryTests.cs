using FhirRisk.Inference.Rollouts;
using FhirRisk.Meds.Tasks;
using FhirRisk.Tokenizer;

namespace FhirRisk.Inference.Tests;

/// <summary>Histories longer than the context keep the static prefix and the most recent tokens (docs/inference.md).</summary>
public sealed class LongHistoryTests
{
    [Fact]
    public void The_window_keeps_its_prefix_and_jumps_to_leave_slide_tokens_of_room()
    {
        var window = new ContextWindow(prefixLength: 5, contextLength: 32, slide: 6);
        Assert.False(window.Fit(27));
        Assert.Equal(32, window.Length(27));
        Assert.True(window.Fit(28));       // one more would overflow: keep T − P − S = 21 timeline tokens
        Assert.Equal(7, window.Start);
        Assert.Equal(26, window.Length(28));
        for (var n = 29; n <= 34; n++)
            Assert.False(window.Fit(n));   // room for six more
        Assert.True(window.Fit(35));
        Assert.Equal(14, window.Start);
        Assert.Equal(2, window.Jumps);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ContextWindow(5, 32, 27));
    }

    [Fact]
    public void A_long_prompt_is_the_prefix_at_the_window_start_then_the_most_recent_tokens()
    {
        using var session = TinyModel.Open();
        var timeline = TinyModel.Encode(9, stays: 4);
        var index = timeline.Count - 1;
        Assert.True(index > 100);

        var prompt = session.RolloutPrompt(timeline, index);

        var p = session.Tokenizer.PrefixLength;
        var slide = ContextWindow.DefaultSlide(p, TinyModel.ContextLength);
        var kept = TinyModel.ContextLength - p - slide;
        Assert.Equal(p + kept, prompt.Length);
        var start = index + 1 - kept;
        Assert.Equal(timeline.Tokens[start..(index + 1)].ToArray(), prompt[p..]);
        Assert.Equal(session.Tokenizer.PrefixAt(timeline.Statics, timeline.Times[start]), prompt[..p]);

        // A short history is kept whole.
        Assert.Equal(p + 10, session.RolloutPrompt(timeline, 9).Length);
    }

    [Fact]
    public void A_raw_prompt_longer_than_the_context_is_cut_the_same_way_by_cache_and_reference()
    {
        using var session = TinyModel.Open();
        var timeline = TinyModel.Encode(9, stays: 4);
        var p = session.Tokenizer.PrefixLength;
        int[] prompt = [.. session.Tokenizer.PrefixAt(timeline.Statics, timeline.Times[0]), .. timeline.Tokens[..80].ToArray()];
        var request = new RolloutRequest(prompt, [session.Task(TaskCatalog.HospitalMortality)], Requests.Fixed(4, maxNewTokens: 40));

        var cached = Requests.Schedule(session, [request], slots: 2)[0];
        var reference = ReferenceRollouts.Run(session.GenerativeParameters, session.Meanings, p, request, null, session.Backend);

        Requests.AssertSame(reference, cached);
        var sequence = new RolloutSequence(request, 0, p, TinyModel.ContextLength, ContextWindow.DefaultSlide(p, TinyModel.ContextLength), session.Meanings);
        Assert.Equal([.. prompt[..p], .. prompt[^(sequence.WindowLength - p)..]], sequence.WindowTokens());
    }
}
