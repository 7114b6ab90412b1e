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
    public void Fit_SmallCellRule_LeavesOutCodesStaticValuesAndQuantilesOfFewSubjects()
    {
        // Review phi.md #5: a string or a value seen in one patient must not reach vocabulary.tsv or tokenizer.json.
        using var temp = new TempDirectory();
        var subjects = new List<MedsEvent[]>();
        for (var s = 1; s <= 10; s++)
            subjects.Add([Static(s, "RACE//White"), At(s, TimeSpan.Zero, "LAB//common", s), At(s, TimeSpan.FromHours(1), "LAB//common", s + 0.5f)]);
        var lone = new List<MedsEvent> { Static(11, "RACE//ZQX free text") };
        for (var i = 0; i < 12; i++)
            lone.Add(At(11, TimeSpan.FromHours(i), "LAB//lone", 1.9f + i));
        subjects.Add([.. lone]);
        var dataset = Write(temp.Path, subjects);

        var byCountOnly = TimelineTokenizer.Fit(dataset, TokenizerSettings.Default with { MinCount = TokenizerSettings.SmallCellThreshold });
        var smallCell = TimelineTokenizer.Fit(dataset, TokenizerSettings.SmallCell);

        Assert.Contains("LAB//lone", byCountOnly.Vocabulary.Tokens); // 12 occurrences, all of one subject
        Assert.Contains("RACE//ZQX free text", byCountOnly.Vocabulary.Tokens);
        Assert.True(byCountOnly.Quantiles.ContainsKey("LAB//lone"));
        Assert.DoesNotContain(smallCell.Vocabulary.Tokens, t => t.Contains("lone", StringComparison.Ordinal) || t.Contains("ZQX", StringComparison.Ordinal));
        Assert.False(smallCell.Quantiles.ContainsKey("LAB//lone"));
        Assert.Equal(12, smallCell.Vocabulary.Counts[smallCell.Vocabulary.IdOf("UNK//LAB")]);
        Assert.Equal(1, smallCell.Vocabulary.Counts[smallCell.Vocabulary.IdOf("RACE//UNKNOWN")]);
        Assert.Contains("RACE//White", smallCell.Vocabulary.Tokens);
        Assert.True(smallCell.Quantiles["LAB//common"].HasBins);
    }

    [Fact]
    public void Save_WritesMinSubjectsOnlyWhenTheSmallCellRuleIsOn_AndLoadReadsItBack()
    {
        using var temp = new TempDirectory();
        var dataset = Write(temp.File("meds"), [[Static(1, "GENDER//F"), At(1, TimeSpan.Zero, "LOINC//a")]]);

        TimelineTokenizer.Fit(dataset).Save(temp.File("open"));
        TimelineTokenizer.Fit(dataset, TokenizerSettings.Default with { MinSubjects = 3 }).Save(temp.File("small-cell"));

        Assert.DoesNotContain("min_subjects", File.ReadAllText(Path.Combine(temp.File("open"), "tokenizer.json")), StringComparison.Ordinal);
        Assert.Equal(1, TimelineTokenizer.Load(temp.File("open")).Settings.MinSubjects);
        Assert.Equal(3, TimelineTokenizer.Load(temp.File("small-cell")).Settings.MinSubjects);
    }

    [Fact]
    public void TheDemoModelsTokenizer_LoadedAndSavedAgain_KeepsItsBytes()
    {
        // The demo model is fitted with MinSubjects 1, which the manifest does not write: its committed files stay as they are.
        using var temp = new TempDirectory();
        var demo = RepositoryPaths.Combine("models", "demo");

        TimelineTokenizer.Load(demo).Save(temp.Path);

        foreach (var file in new[] { "tokenizer.json", "vocabulary.tsv" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(demo, file)), File.ReadAllBytes(Path.Combine(temp.Path, file)));
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
