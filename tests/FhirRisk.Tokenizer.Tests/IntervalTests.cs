using FhirRisk.Meds;
using FhirRisk.Testing;
using FhirRisk.Tokenizer.Internal;
using static FhirRisk.Tokenizer.Tests.SmallDatasets;

namespace FhirRisk.Tokenizer.Tests;

public sealed class IntervalTests
{
    private static readonly IntervalCoder s_coder = new(TimeIntervalToken.Ethos);

    [Theory]
    [InlineData(0, -1, 0)]
    [InlineData(299, -1, 0)]
    [InlineData(300, 0, 1)]
    [InlineData(899, 0, 1)]
    [InlineData(900, 1, 1)]
    [InlineData(86_400, 10, 1)]
    [InlineData(60 * 86_400 - 1, 16, 1)]
    [InlineData(180 * 86_400, 18, 1)]
    [InlineData(269 * 86_400, 18, 1)]
    [InlineData(270 * 86_400, 18, 2)]
    [InlineData(511 * 86_400, 18, 3)]
    public void Classify_GapInSeconds_EthosTokenAndRepeats(long seconds, int interval, int repeats)
    {
        Assert.Equal((interval, repeats), s_coder.Classify(seconds * 1_000_000));
    }

    [Fact]
    public void Fit_Gaps_EstimatesPerTokenAndDecodeDurationsInsideTheirBins()
    {
        using var temp = new TempDirectory();
        // Gaps: 10 min, 20 min, 10 min (all 5m-15m except 20 min → 15m-45m), then 400 days (=6mt twice).
        var dataset = Write(temp.Path, [[
            At(1, TimeSpan.Zero, "A"), At(1, TimeSpan.FromMinutes(10), "B"), At(1, TimeSpan.FromMinutes(30), "C"),
            At(1, TimeSpan.FromMinutes(40), "A"), At(1, TimeSpan.FromMinutes(40) + TimeSpan.FromDays(400), "B"),
        ]]);

        var tokenizer = TimelineTokenizer.Fit(dataset);

        var fiveToFifteen = tokenizer.Intervals[0];
        Assert.Equal(2, fiveToFifteen.Count);
        Assert.Equal(600_000_000, fiveToFifteen.MeanMicros);
        Assert.Equal(600_000_000, fiveToFifteen.DecodeMicros);
        Assert.Equal(1, tokenizer.Intervals[1].Count);
        var sixMonths = tokenizer.Intervals[^1];
        Assert.Equal(2, sixMonths.Count);
        Assert.Equal(200L * 86_400_000_000, sixMonths.MeanMicros);
        Assert.Equal(180L * 86_400_000_000, sixMonths.DecodeMicros);
        var unused = tokenizer.Intervals[5];
        Assert.Equal(0, unused.Count);
        Assert.Null(unused.MeanMicros);
        Assert.Equal((3 + 5) * 3_600_000_000L / 2, unused.DecodeMicros);
        foreach (var (estimate, i) in tokenizer.Intervals.Select((e, i) => (e, i)))
            Assert.Equal((i, 1), s_coder.Classify(estimate.DecodeMicros));
    }

    [Fact]
    public void Encode_GapsUnderFiveMinutes_NoTokenAndTheSameTimestampNeverGetsOne()
    {
        using var temp = new TempDirectory();
        var dataset = Write(temp.Path, [[
            At(1, TimeSpan.Zero, "A"), At(1, TimeSpan.Zero, "B"), At(1, TimeSpan.FromMinutes(4), "C"), At(1, TimeSpan.FromHours(2.5), "D"),
        ]]);
        var tokenizer = TimelineTokenizer.Fit(dataset);

        var timeline = tokenizer.Encode(dataset.ReadSubjects().Single());

        Assert.Equal(["A", "B", "C", "2h-3h", "D", Vocabulary.TimelineEnd], timeline.Tokens.ToArray().Select(id => tokenizer.Vocabulary[id]));
        var start = Micros(Start);
        Assert.Equal([start, start, start + 240_000_000, start + 9_000_000_000, start + 9_000_000_000, start + 9_000_000_000], timeline.Times.ToArray());
    }

    [Fact]
    public void IndexAt_PredictionTimes_LastTokenAtThatTimeNeverTheNextInterval()
    {
        using var temp = new TempDirectory();
        var dataset = Write(temp.Path, [[
            At(1, TimeSpan.Zero, "A"), At(1, TimeSpan.Zero, "B"), At(1, TimeSpan.FromHours(2.5), "C"),
        ]]);
        var tokenizer = TimelineTokenizer.Fit(dataset);
        var timeline = tokenizer.Encode(dataset.ReadSubjects().Single());

        // Tokens: A B 2h-3h C TIMELINE_END; the end is never a prediction point.
        var indices = timeline.IndicesAt([Start.AddMinutes(-1), Start, Start.AddHours(1), Start.AddHours(2.5), Start.AddYears(1)]);

        Assert.Equal([-1, 1, 1, 3, 3], indices);
    }

    private static long Micros(DateTime time) => MicrosecondTime.From(time);
}
