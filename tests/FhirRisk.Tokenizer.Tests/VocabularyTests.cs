using FhirRisk.Meds;
using FhirRisk.Testing;
using static FhirRisk.Tokenizer.Tests.SmallDatasets;

namespace FhirRisk.Tokenizer.Tests;

public sealed class VocabularyTests
{
    [Fact]
    public void Fit_Counts_ReservedThenStaticThenUnknownThenCodesByCountTiesByCode()
    {
        using var temp = new TempDirectory();
        var dataset = Write(temp.Path, [
            [Static(1, "GENDER//F"), At(1, TimeSpan.Zero, "LOINC//b"), At(1, TimeSpan.Zero, "LOINC//a"), At(1, TimeSpan.Zero, "SNOMED//c"), At(1, TimeSpan.Zero, "LOINC//a")],
            [Static(2, "GENDER//M"), At(2, TimeSpan.Zero, "LOINC//b"), At(2, TimeSpan.Zero, "SNOMED//c"), At(2, TimeSpan.Zero, "SNOMED//d")],
        ]);

        var vocabulary = TimelineTokenizer.Fit(dataset).Vocabulary;

        string[] reserved = [Vocabulary.TimelineEnd, .. TimeIntervalToken.Ethos.Select(i => i.Name), .. Enumerable.Range(1, 10).Select(b => $"Q{b}"), "UNK", "AGE//UNKNOWN"];
        string[] statics = ["ETHNICITY//UNKNOWN", "GENDER//F", "GENDER//M", "GENDER//UNKNOWN", "RACE//UNKNOWN"];
        Assert.Equal([.. reserved, .. statics, "UNK//LOINC", "UNK//SNOMED", "LOINC//a", "LOINC//b", "SNOMED//c", "SNOMED//d"], vocabulary.Tokens);
        // UNK, AGE//UNKNOWN, the static tokens (subjects), UNK//LOINC, UNK//SNOMED, then the codes (events).
        Assert.Equal([0L, 2, 2, 1, 1, 0, 2, 0, 0, 2, 2, 2, 1], vocabulary.Counts.Skip(reserved.Length - 2));
        Assert.Equal(2, vocabulary.Counts[vocabulary.IdOf("AGE//UNKNOWN")]);
    }

    [Fact]
    public void Fit_MinCountAndMaxSize_RareCodesLeftOutAndCountedUnderTheirUnknown()
    {
        using var temp = new TempDirectory();
        var events = new List<MedsEvent>();
        foreach (var (code, count) in new[] { ("LOINC//a", 5), ("LOINC//b", 4), ("LOINC//c", 3), ("LOINC//d", 1) })
            events.AddRange(Enumerable.Repeat(At(1, TimeSpan.Zero, code), count));
        var dataset = Write(temp.Path, [[.. events]]);
        var unbounded = TimelineTokenizer.Fit(dataset);

        var tokenizer = TimelineTokenizer.Fit(dataset, TokenizerSettings.Default with { MinCount = 2, MaxVocabularySize = unbounded.Vocabulary.Count - 2 });

        Assert.Equal(["LOINC//a", "LOINC//b"], tokenizer.Vocabulary.Tokens.Where(t => t.StartsWith("LOINC//", StringComparison.Ordinal)));
        Assert.Equal(4, tokenizer.Vocabulary.Counts[tokenizer.Vocabulary.IdOf("UNK//LOINC")]);
        var encoded = tokenizer.Encode(dataset.ReadSubjects().Single());
        Assert.Equal(4, encoded.Tokens.ToArray().Count(id => tokenizer.Vocabulary[id] == "UNK//LOINC"));
    }

    [Fact]
    public void Fit_TopNumericCodes_OnlyTheNMostValuedCodesQuantized()
    {
        using var temp = new TempDirectory();
        var events = new List<MedsEvent>();
        for (var i = 0; i < 20; i++)
            events.Add(At(1, TimeSpan.FromHours(i), "LAB//many", i));
        for (var i = 0; i < 5; i++)
            events.Add(At(1, TimeSpan.FromHours(i), "LAB//few", i));
        var dataset = Write(temp.Path, [[.. events]]);

        var tokenizer = TimelineTokenizer.Fit(dataset, TokenizerSettings.Default with { QuantizedCodes = 1 });

        Assert.Equal(["LAB//many"], tokenizer.Quantiles.Keys);
        Assert.Equal(20, tokenizer.Vocabulary.Counts.Where((_, id) => tokenizer.Vocabulary[id].StartsWith('Q')).Sum());
    }

    [Fact]
    public void Fit_NoFitSplitInDataset_ThrowsNamingTheSplits()
    {
        using var temp = new TempDirectory();
        var dataset = Write(temp.Path, [[At(1, TimeSpan.Zero, "A")]], MedsSchema.HeldOutSplit);

        var error = Assert.Throws<ArgumentException>(() => TimelineTokenizer.Fit(dataset));

        Assert.Contains("held_out", error.Message, StringComparison.Ordinal);
    }
}
