using FhirRisk.Meds;
using FhirRisk.Testing;
using static FhirRisk.Tokenizer.Tests.SmallDatasets;

namespace FhirRisk.Tokenizer.Tests;

public sealed class TimelineSegmentTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly TimelineTokenizer _tokenizer;

    public TimelineSegmentTests()
    {
        var labs = Enumerable.Range(0, 40).Select(i => At(1, TimeSpan.FromHours(i), "LOINC//2160-0//mg/dL", 0.5f + i / 10f));
        var dataset = Write(_temp.Path, [[
            .. labs, At(1, TimeSpan.Zero, "ICD10CM//S72.001A"), At(1, TimeSpan.Zero, "ICD10CM//I10"), At(1, TimeSpan.FromDays(3), "HOSPITAL_DISCHARGE//HOME"),
        ]]);
        _tokenizer = TimelineTokenizer.Fit(dataset);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Segment_EncodedEvents_OneSegmentPerEventWithItsIntervalAndDecileTokens()
    {
        MedsEvent[] events = // in canonical order: the lab's code token is the more frequent, so it comes first
        [
            At(2, TimeSpan.Zero, "LOINC//2160-0//mg/dL", 4.1f),
            At(2, TimeSpan.Zero, "ICD10CM//S72.001A"),
            At(2, TimeSpan.FromHours(6), "ICD10CM//I10"),
            At(2, TimeSpan.FromHours(6), "ICD10CM//S72.001A"),
            At(2, TimeSpan.FromDays(2), "HOSPITAL_DISCHARGE//HOME"),
        ];
        var timeline = _tokenizer.CreateBuffer();
        _tokenizer.Encode(events, timeline, endTimeline: false);

        var segments = _tokenizer.Segment(timeline.Tokens);

        var decoded = _tokenizer.Decode(timeline.Tokens, 2, Start);
        Assert.Equal(decoded.Select(e => e.Code), segments.Select(s => s.Code));
        Assert.Equal(Enumerable.Range(0, timeline.Count), segments.SelectMany(s => Enumerable.Range(s.Start, s.Length)));
        Assert.Equal(events.Select(e => e.Code), _tokenizer.InTieOrder(events).Select(e => e.Code));
        Assert.Equal([2, 3, 2, 3, 2], segments.Select(s => s.Length));
        Assert.Equal([false, false, true, false, true], segments.Select(s => s.HasTime));
        var lab = segments[0];
        Assert.Equal(decoded[0].NumericValue, lab.NumericValue);
        Assert.Equal(_tokenizer.Quantiles["LOINC//2160-0//mg/dL"].Bin(4.1f), lab.Bin);
        // The decile's bounds hold the recorded value, which its median need not be near (review s22 explain M1).
        Assert.True((lab.BinLower ?? float.NegativeInfinity) < 4.1f && 4.1f <= (lab.BinUpper ?? float.PositiveInfinity), $"({lab.BinLower}, {lab.BinUpper}]");
        Assert.True(lab.BinLower is not null || lab.BinUpper is not null);
        Assert.Null(segments[1].Bin);
        Assert.Null(segments[1].BinLower);
    }

    [Fact]
    public void Segment_TrailingTimeAndOrphanTokens_KeptAsSegmentsWithoutCode()
    {
        int[] tokens = [Id("ICD10CM//I10"), Id("Q3"), Id("12h-18h"), Id("ICD10CM//3-6//001"), Id("1d-2d")];

        var segments = _tokenizer.Segment(tokens);

        Assert.Equal(["ICD10CM//I10", null, null, null], segments.Select(s => s.Code));
        Assert.Equal([(0, 0, 1), (1, 1, 2), (2, 3, 4), (4, 5, 5)], segments.Select(s => (s.Start, s.EventStart, s.End)));
    }

    [Fact]
    public void IsContinuation_IsTrueForTheSubtokensAfterACategoryOnly()
    {
        var continuations = Enumerable.Range(0, _tokenizer.Vocabulary.Count).Where(_tokenizer.IsContinuation).Select(id => _tokenizer.Vocabulary[id]).ToArray();

        Assert.Contains("ICD10CM//3-6//001", continuations);
        Assert.Contains("ICD10CM//SFX//A", continuations);
        Assert.All(continuations, token => Assert.True(token.StartsWith("ICD10CM//3-6//", StringComparison.Ordinal) || token.StartsWith("ICD10CM//SFX//", StringComparison.Ordinal), token));
        Assert.False(_tokenizer.IsContinuation(Id("ICD10CM//S72")));
        Assert.False(_tokenizer.IsContinuation(Id("ICD10CM//I10")));
        Assert.False(_tokenizer.IsContinuation(Id("Q3")));
        Assert.False(_tokenizer.IsContinuation(Id("HOSPITAL_DISCHARGE//HOME")));
    }

    private int Id(string token) => _tokenizer.Vocabulary.IdOf(token);
}
