using FhirRisk.Meds;
using FhirRisk.Testing;
using static FhirRisk.Tokenizer.Tests.SmallDatasets;

namespace FhirRisk.Tokenizer.Tests;

public sealed class CodeBackoffTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly TimelineTokenizer _tokenizer;

    public CodeBackoffTests()
    {
        var dataset = Write(_temp.Path, [[
            At(1, TimeSpan.Zero, "ICD10CM//E11.65"), At(1, TimeSpan.Zero, "ICD10CM//S72.001A"), At(1, TimeSpan.Zero, "ICD10CM//I10"),
            At(1, TimeSpan.Zero, "ICD9CM//428.2"), At(1, TimeSpan.Zero, "LOINC//1-1"),
        ]]);
        _tokenizer = TimelineTokenizer.Fit(dataset);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Fit_Icd10Codes_SplitIntoCategoryRemainderAndSuffixTokens()
    {
        var tokens = _tokenizer.Vocabulary.Tokens;

        Assert.Contains("ICD10CM//E11", tokens);
        Assert.Contains("ICD10CM//3-6//65", tokens);
        Assert.Contains("ICD10CM//S72", tokens);
        Assert.Contains("ICD10CM//3-6//001", tokens);
        Assert.Contains("ICD10CM//SFX//A", tokens);
        Assert.Contains("ICD10CM//I10", tokens);
        Assert.DoesNotContain("ICD10CM//E11.65", tokens);
        Assert.Contains("ICD9CM//428.2", tokens);
    }

    [Theory]
    [InlineData("ICD10CM//E11.65", "ICD10CM//E11 ICD10CM//3-6//65", "ICD10CM//E11.65")]
    [InlineData("ICD10CM//E1165", "ICD10CM//E11 ICD10CM//3-6//65", "ICD10CM//E11.65")]
    [InlineData("ICD10CM//E11.659", "ICD10CM//E11 ICD10CM//3-6//65", "ICD10CM//E11.65")]
    [InlineData("ICD10CM//E11.7", "ICD10CM//E11", "ICD10CM//E11")]
    [InlineData("ICD10CM//S72.001A", "ICD10CM//S72 ICD10CM//3-6//001 ICD10CM//SFX//A", "ICD10CM//S72.001A")]
    [InlineData("ICD10CM//S72.001B", "ICD10CM//S72 ICD10CM//3-6//001", "ICD10CM//S72.001")]
    [InlineData("ICD10CM//Z99.9", "UNK//ICD10CM", "UNK//ICD10CM")]
    [InlineData("ICD9CM//428.21", "ICD9CM//428.2", "ICD9CM//428.2")]
    [InlineData("ICD9CM//401.9", "UNK//ICD9CM", "UNK//ICD9CM")]
    [InlineData("LOINC//2-2", "UNK//LOINC", "UNK//LOINC")]
    [InlineData("NEWVOCAB//x", "UNK", "UNK")]
    [InlineData("Q1", "UNK", "UNK")]
    public void Encode_UnseenCode_BacksOffToNearestKnownAncestorThenUnknown(string code, string tokens, string decoded)
    {
        var timeline = Encode(code);

        Assert.Equal(tokens.Split(' ').Append(Vocabulary.TimelineEnd), timeline.Tokens.ToArray().Select(id => _tokenizer.Vocabulary[id]));
        Assert.Equal(decoded, Assert.Single(_tokenizer.Decode(timeline.Tokens, 2, Start)).Code);
    }

    [Theory]
    [InlineData("ICD10CM//E11.65", CodeCoverage.Exact)]
    [InlineData("ICD10CM//I10", CodeCoverage.Exact)]
    [InlineData("ICD10CM//S72.001A", CodeCoverage.Exact)]
    [InlineData("ICD10CM//E11.659", CodeCoverage.Ancestor)]
    [InlineData("ICD10CM//E11.7", CodeCoverage.Ancestor)]
    [InlineData("ICD10CM//S72.001B", CodeCoverage.Ancestor)]
    [InlineData("ICD9CM//428.2", CodeCoverage.Exact)]
    [InlineData("ICD9CM//428.21", CodeCoverage.Ancestor)]
    [InlineData("LOINC//1-1", CodeCoverage.Exact)]
    [InlineData("ICD10CM//Z99.9", CodeCoverage.Unknown)]
    [InlineData("LOINC//2-2", CodeCoverage.Unknown)]
    [InlineData("NEWVOCAB//x", CodeCoverage.Unknown)]
    [InlineData("Q1", CodeCoverage.Unknown)]
    public void CoverageOf_Code_SaysWhetherItIsWrittenWholeByAnAncestorOrUnknown(string code, CodeCoverage expected)
    {
        Assert.Equal(expected, _tokenizer.CoverageOf(code));
    }

    [Fact]
    public void Encode_CountsTimelineEventsByCoverage_NotStaticRows()
    {
        var buffer = _tokenizer.CreateBuffer();
        _tokenizer.Encode([
            new MedsEvent(2, null, "GENDER//F"), At(2, TimeSpan.Zero, "ICD10CM//E11.65"), At(2, TimeSpan.Zero, "LOINC//1-1"),
            At(2, TimeSpan.FromHours(1), "ICD9CM//428.21"), At(2, TimeSpan.FromHours(2), "LOINC//2-2"),
        ], buffer);

        Assert.Equal(new CodeCoverageCounts(Exact: 2, Ancestor: 1, Unknown: 1), buffer.Coverage);
        Assert.Equal(0.5, buffer.Coverage.Share(CodeCoverage.Exact));
    }

    [Fact]
    public void Decode_SubtokensOfAdjacentCodes_RejoinedIntoTheirOwnCodes()
    {
        string[] codes = ["ICD10CM//E11.65", "ICD10CM//E11.65", "ICD10CM//I10", "ICD10CM//S72.001A", "LOINC//1-1"]; // in canonical order
        var buffer = _tokenizer.CreateBuffer();
        _tokenizer.Encode(codes.Select(c => At(2, TimeSpan.Zero, c)).ToArray(), buffer);

        Assert.Equal(codes, _tokenizer.Decode(buffer.Tokens, 2, Start).Select(e => e.Code));
    }

    [Fact]
    public void Decode_OrphanSubtokens_DroppedNotAttachedToAnotherCode()
    {
        int[] tokens = [Id("ICD10CM//3-6//65"), Id("LOINC//1-1"), Id("ICD10CM//SFX//A"), Id("ICD10CM//I10"), Id("ICD10CM//SFX//A")];

        Assert.Equal(["LOINC//1-1", "ICD10CM//I10"], _tokenizer.Decode(tokens, 2, Start).Select(e => e.Code));
    }

    private EncodedTimeline Encode(string code)
    {
        var buffer = _tokenizer.CreateBuffer();
        _tokenizer.Encode([At(2, TimeSpan.Zero, code)], buffer);
        return buffer;
    }

    private int Id(string token) => _tokenizer.Vocabulary.IdOf(token);
}
