using FhirRisk.Meds;
using FhirRisk.Testing;
using FhirRisk.Tokenizer.Internal;
using static FhirRisk.Tokenizer.Tests.SmallDatasets;

namespace FhirRisk.Tokenizer.Tests;

public sealed class StaticPrefixTests : IDisposable
{
    private static readonly DateTime s_birth = new(1950, 1, 1);

    private readonly TempDirectory _temp = new();
    private readonly TimelineTokenizer _tokenizer;
    private readonly EncodedTimeline _timeline;

    public StaticPrefixTests()
    {
        // The race becomes known one year after the first event (a timed static-field row, as some sources write).
        var dataset = Write(_temp.Path, [[
            Static(1, "GENDER//F"), new MedsEvent(1, s_birth, MedsSchema.BirthCode), At(1, TimeSpan.Zero, "A"),
            At(1, TimeSpan.FromDays(365), "RACE//WHITE"), At(1, TimeSpan.FromDays(400), "B"),
        ]]);
        _tokenizer = TimelineTokenizer.Fit(dataset);
        _timeline = _tokenizer.Encode(dataset.ReadSubjects().Single());
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Encode_StaticFieldsAndBirth_KeptOutOfTheTimeline()
    {
        // 400 days: =6mt written round(400 / 180) = 2 times; the RACE row at day 365 makes no gap.
        Assert.Equal(["A", "=6mt", "=6mt", "B", Vocabulary.TimelineEnd], _timeline.Tokens.ToArray().Select(id => _tokenizer.Vocabulary[id]));
        Assert.Equal(5, _tokenizer.PrefixLength);
    }

    [Fact]
    public void PrefixAt_WindowStart_ValuesKnownThenAndAgeAsTwoDigits()
    {
        // 2020-01-01 08:00 is 70.0 years after 1950-01-01: Q8 Q1; race not yet known.
        Assert.Equal(["GENDER//F", "Q8", "Q1", "RACE//UNKNOWN", "ETHNICITY//UNKNOWN"], Prefix(Start));
        Assert.Equal(["GENDER//F", "Q8", "Q2", "RACE//WHITE", "ETHNICITY//UNKNOWN"], Prefix(Start.AddDays(400)));
    }

    [Fact]
    public void PrefixAt_SeveralStaticValuesOfOneField_GivesTheSameOneWhateverTheirRowOrder()
    {
        // A multiracial patient (US Core race with two ombCategory codes): the prefix held whichever row came last.
        MedsEvent[] Rows(string first, string second) =>
            [Static(2, "GENDER//M"), Static(2, first), Static(2, second), new MedsEvent(2, s_birth, MedsSchema.BirthCode), At(2, TimeSpan.Zero, "A")];
        var data = Write(_temp.File("races"), [Rows("RACE//WHITE", "RACE//ASIAN"), [.. Rows("RACE//WHITE", "RACE//ASIAN").Select(e => e with { SubjectId = 3 })]]);
        var tokenizer = TimelineTokenizer.Fit(data);
        string[] PrefixOf(MedsEvent[] rows) => [.. tokenizer.PrefixAt(tokenizer.Encode(new MedsSubject(2, MedsSchema.TrainSplit, rows)).Statics, MicrosecondTime.From(Start))
            .Select(id => tokenizer.Vocabulary[id])];

        var prefix = PrefixOf(Rows("RACE//WHITE", "RACE//ASIAN"));

        Assert.Equal(prefix, PrefixOf(Rows("RACE//ASIAN", "RACE//WHITE")));
        Assert.Contains(prefix, token => token.StartsWith("RACE//", StringComparison.Ordinal) && token != "RACE//UNKNOWN");
        // A value the vocabulary does not know gives way to one it knows, whichever sorts first.
        Assert.Contains("RACE//WHITE", PrefixOf(Rows("RACE//WHITE", "RACE//NEVER_SEEN")));
        Assert.Contains("RACE//WHITE", PrefixOf(Rows("RACE//NEVER_SEEN", "RACE//WHITE")));
    }

    [Theory]
    [InlineData(67.6, "Q7", "Q9")]
    [InlineData(9.6, "Q2", "Q1")]
    [InlineData(0.2, "Q1", "Q1")]
    [InlineData(120, "Q10", "Q10")]
    public void PrefixAt_Age_EthosDigitRule(double years, string tens, string units)
    {
        var at = s_birth.AddDays(years * 365.2425);

        var prefix = Prefix(at);

        Assert.Equal([tens, units], prefix[1..3]);
    }

    [Fact]
    public void DecodePrefix_Prefix_StaticRowsAndBirthWithinAYear()
    {
        var prefix = _tokenizer.PrefixAt(_timeline.Statics, MicrosecondTime.From(Start));

        var events = _tokenizer.DecodePrefix(prefix, 1, Start);

        Assert.Equal([new MedsEvent(1, null, "GENDER//F")], events.Where(e => e.IsStatic));
        var birth = events.Single(e => e.Code == MedsSchema.BirthCode).Time!.Value;
        Assert.True(Math.Abs((birth - s_birth).TotalDays) < 366, $"{birth:O}");
    }

    [Fact]
    public void PrefixAt_NoBirth_AgeUnknownTwice()
    {
        var buffer = _tokenizer.CreateBuffer();
        _tokenizer.Encode([At(2, TimeSpan.Zero, "A")], buffer);

        var prefix = _tokenizer.PrefixAt(buffer.Statics, MicrosecondTime.From(Start)).Select(id => _tokenizer.Vocabulary[id]);

        Assert.Equal(["GENDER//UNKNOWN", "AGE//UNKNOWN", "AGE//UNKNOWN", "RACE//UNKNOWN", "ETHNICITY//UNKNOWN"], prefix);
    }

    private string[] Prefix(DateTime at) =>
        _tokenizer.PrefixAt(_timeline.Statics, MicrosecondTime.From(at)).Select(id => _tokenizer.Vocabulary[id]).ToArray();
}
