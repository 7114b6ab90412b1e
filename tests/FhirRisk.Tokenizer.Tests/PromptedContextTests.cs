using FhirRisk.Meds;
using FhirRisk.Testing;
using static FhirRisk.Tokenizer.Tests.SmallDatasets;

namespace FhirRisk.Tokenizer.Tests;

/// <summary>The prompted context of finetuning and heads inference, with and without the history block.</summary>
public sealed class PromptedContextTests : IDisposable
{
    private const string Creatinine = "LOINC//2160-0//mg/dL";
    private readonly TempDirectory _temp = new();
    private readonly TimelineTokenizer _tokenizer;

    public PromptedContextTests()
    {
        var labs = Enumerable.Range(0, 40).Select(i => At(1, TimeSpan.FromHours(i), Creatinine, 0.5f + i / 10f));
        var dataset = Write(_temp.Path, [[
            Static(1, "GENDER//F"), new MedsEvent(1, Start.AddYears(-60), MedsSchema.BirthCode),
            .. labs, At(1, TimeSpan.Zero, "ICD10CM//E11.9"), At(1, TimeSpan.Zero, "ICD10CM//I10"), At(1, TimeSpan.Zero, "ICD10CM//S72.001A"),
            At(1, TimeSpan.Zero, "ICD10CM//J18.9"), At(1, TimeSpan.FromDays(3), "HOSPITAL_DISCHARGE//HOME"),
        ]]);
        _tokenizer = TimelineTokenizer.Fit(dataset);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void IsCategory_IsTrueForTheCategoryTokensOfSplitFamiliesOnly()
    {
        var categories = Enumerable.Range(0, _tokenizer.Vocabulary.Count).Where(_tokenizer.IsCategory).Select(id => _tokenizer.Vocabulary[id]).Order(StringComparer.Ordinal);

        Assert.Equal(["ICD10CM//E11", "ICD10CM//I10", "ICD10CM//J18", "ICD10CM//S72"], categories);
    }

    [Fact]
    public void Build_WithoutHistory_IsThePrefixAtTheWindowStartThenTheLastTokensThroughThePoint()
    {
        var timeline = Encode(Events());
        var index = timeline.Count - 1;

        var context = PromptedContext.Build(_tokenizer, timeline.Tokens, timeline.Times, timeline.Statics, index, maxLength: 12);

        var recent = 12 - _tokenizer.PrefixLength;
        Assert.Equal(12, context.Length);
        Assert.Equal(_tokenizer.PrefixAt(timeline.Statics, timeline.Times[index + 1 - recent]), context[.._tokenizer.PrefixLength]);
        Assert.Equal(timeline.Tokens[(index + 1 - recent)..].ToArray(), context[_tokenizer.PrefixLength..]);
    }

    [Fact]
    public void HistoryBlock_HoldsEachCategoryOnceInTheOrderOfItsLastMention_KeepingTheMostRecent()
    {
        var timeline = Encode(Events());

        var all = PromptedContext.HistoryBlock(_tokenizer, timeline.Tokens, limit: 16);
        var two = PromptedContext.HistoryBlock(_tokenizer, timeline.Tokens, limit: 2);
        var first = PromptedContext.HistoryBlock(_tokenizer, timeline.Tokens[..3], limit: 16);
        var none = PromptedContext.HistoryBlock(_tokenizer, timeline.Tokens, limit: 0);

        // E11 at 0 h and 30 h, I10 at 1 h, S72.001A at 2 h, J18 at 36 h: ordered by last mention, subtokens never in the block.
        Assert.Equal(["ICD10CM//I10", "ICD10CM//S72", "ICD10CM//E11", "ICD10CM//J18"], all.Select(id => _tokenizer.Vocabulary[id]));
        Assert.Equal(["ICD10CM//E11", "ICD10CM//J18"], two.Select(id => _tokenizer.Vocabulary[id]));
        Assert.Equal([Id("ICD10CM//E11")], first);
        Assert.Empty(none);
    }

    [Fact]
    public void Build_WithHistory_EndsWithTheBlockOfCategoriesChartedUpToThePointAndShortensTheTimeline()
    {
        var timeline = Encode(Events());
        var pneumonia = Id("ICD10CM//J18");
        var index = timeline.Tokens.IndexOf(pneumonia) - 1; // the point is just before J18.9 is charted, which it must not see
        Assert.True(timeline.Tokens[..(index + 1)].IndexOf(Id("ICD10CM//I10")) < index + 1 - 12, "I10 lies before the window");

        var context = PromptedContext.Build(_tokenizer, timeline.Tokens, timeline.Times, timeline.Statics, index, maxLength: 16, historyCodes: 8, out var historyLength);

        int[] block = [Id("ICD10CM//I10"), Id("ICD10CM//S72"), Id("ICD10CM//E11")];
        Assert.Equal(block.Length, historyLength);
        var recent = 16 - _tokenizer.PrefixLength - block.Length;
        Assert.Equal(16, context.Length);
        Assert.Equal(block, context[^block.Length..]);
        Assert.Equal(timeline.Tokens[(index + 1 - recent)..(index + 1)].ToArray(), context[_tokenizer.PrefixLength..^block.Length]);
        Assert.Equal(_tokenizer.PrefixAt(timeline.Statics, timeline.Times[index + 1 - recent]), context[.._tokenizer.PrefixLength]);
        Assert.DoesNotContain(pneumonia, context);
    }

    [Fact]
    public void Build_WithoutCategoriesInTheHistory_IsTheContextWithoutABlock()
    {
        var timeline = Encode([.. Enumerable.Range(0, 20).Select(i => At(2, TimeSpan.FromHours(i), Creatinine, 1f + i / 10f))]);
        var index = timeline.Count - 1;

        var plain = PromptedContext.Build(_tokenizer, timeline.Tokens, timeline.Times, timeline.Statics, index, maxLength: 12);
        var withHistory = PromptedContext.Build(_tokenizer, timeline.Tokens, timeline.Times, timeline.Statics, index, maxLength: 12, historyCodes: 4);

        Assert.Equal(plain, withHistory);
    }

    [Fact]
    public void Build_RefusesABlockThatLeavesNoRoomForTheTimeline()
    {
        var timeline = Encode(Events());
        var prefix = _tokenizer.PrefixLength;

        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            PromptedContext.Build(_tokenizer, timeline.Tokens, timeline.Times, timeline.Statics, 10, maxLength: prefix + 4, historyCodes: 4));
        var fits = PromptedContext.Build(_tokenizer, timeline.Tokens, timeline.Times, timeline.Statics, 10, maxLength: prefix + 5, historyCodes: 4);

        Assert.Contains("history block", error.Message);
        Assert.True(fits.Length <= prefix + 5 && fits.Length >= prefix + 1);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            PromptedContext.Build(_tokenizer, timeline.Tokens, timeline.Times, timeline.Statics, 10, maxLength: 40, historyCodes: -1));
    }

    /// <summary>E11.9, I10 and S72.001A charted on admission, hourly creatinine, E11.9 again at 30 h, then J18.9 at 36 h.</summary>
    private static MedsEvent[] Events() =>
    [
        Static(3, "GENDER//F"), new MedsEvent(3, Start.AddYears(-70), MedsSchema.BirthCode),
        At(3, TimeSpan.Zero, "ICD10CM//E11.9"), At(3, TimeSpan.FromHours(1), "ICD10CM//I10"), At(3, TimeSpan.FromHours(2), "ICD10CM//S72.001A"),
        .. Enumerable.Range(3, 27).Select(i => At(3, TimeSpan.FromHours(i), Creatinine, 1f + i / 20f)),
        At(3, TimeSpan.FromHours(30), "ICD10CM//E11.9"), At(3, TimeSpan.FromHours(31), Creatinine, 2f), At(3, TimeSpan.FromHours(36), "ICD10CM//J18.9"),
        At(3, TimeSpan.FromHours(37), Creatinine, 2.5f),
    ];

    private EncodedTimeline Encode(IReadOnlyList<MedsEvent> events)
    {
        var timeline = _tokenizer.CreateBuffer();
        _tokenizer.Encode(events, timeline, endTimeline: false);
        return timeline;
    }

    private int Id(string token) => _tokenizer.Vocabulary.IdOf(token);
}
