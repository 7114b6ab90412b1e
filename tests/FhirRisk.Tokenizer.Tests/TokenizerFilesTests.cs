using System.Text.Json.Nodes;
using FhirRisk.Testing;
using static FhirRisk.Tokenizer.Tests.SmallDatasets;

namespace FhirRisk.Tokenizer.Tests;

public sealed class TokenizerFilesTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly FhirRisk.Meds.MedsDatasetReader _dataset;

    public TokenizerFilesTests()
    {
        var random = new Random(3);
        var subjects = Enumerable.Range(1, 30).Select(s => Enumerable.Range(0, 40).Select(i => At(s, TimeSpan.FromMinutes(i * random.Next(1, 5000)),
            random.Next(4) switch
            {
                0 => "LOINC//2160-0//mg/dL",
                1 => "ICD10CM//E11." + random.Next(10, 99).ToString(System.Globalization.CultureInfo.InvariantCulture),
                2 => "NOTE//tab\there\\and\nnewline//Größe",
                _ => "SNOMED//" + random.Next(0, 30).ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            random.Next(3) == 0 ? (float)(random.NextDouble() * 100) : null)).Prepend(Static(s, s % 2 == 0 ? "GENDER//F" : "GENDER//M")).ToArray());
        _dataset = Write(_temp.File("meds"), subjects);
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Save_TwoFitsOfTheSameData_ByteIdenticalFiles()
    {
        TimelineTokenizer.Fit(_dataset).Save(_temp.File("a"));
        TimelineTokenizer.Fit(FhirRisk.Meds.MedsDatasetReader.Open(_temp.File("meds"))).Save(_temp.File("b"));

        foreach (var file in new[] { "tokenizer.json", "vocabulary.tsv" })
            Assert.Equal(File.ReadAllBytes(_temp.File("a", file)), File.ReadAllBytes(_temp.File("b", file)));
    }

    [Fact]
    public void Fit_KeepsTheNamesOfTheCodesItEncodesAsThemselves_AndSaveLoadRoundTripsThem()
    {
        var subjects = _dataset.ReadSubjects().Select(s => s.Events.ToArray()).ToArray();
        using (var writer = new FhirRisk.Meds.MedsDatasetWriter(_temp.File("named"), FhirRisk.Meds.MedsDatasetWriterSettings.Default))
        {
            foreach (var events in subjects)
                writer.WriteSubject(events[0].SubjectId, events, FhirRisk.Meds.MedsSchema.TrainSplit);
            writer.DescribeCodes(code => code switch
            {
                "LOINC//2160-0//mg/dL" => "Creatinine [Mass/volume] in Serum or Plasma",
                "NOTE//tab\there\\and\nnewline//Größe" => "A name\twith a tab",
                "SNOMED//3" => "  Three  ",
                _ when code.StartsWith("ICD10CM//", StringComparison.Ordinal) => "A diagnosis seen in few patients",
                _ => null,
            });
            writer.AddCodeMetadata(new FhirRisk.Meds.MedsCodeMetadata("NEVER//SEEN", "Listed without events"));
            writer.Complete();
        }

        var tokenizer = TimelineTokenizer.Fit(FhirRisk.Meds.MedsDatasetReader.Open(_temp.File("named")));
        tokenizer.Save(_temp.File("model"));
        var loaded = TimelineTokenizer.Load(_temp.File("model"));

        // Only codes that are tokens: a code no event has is not carried into the model directory, and neither is a full
        // ICD code, which encodes as its category's and its digits' tokens however few patients had it (review s23 H1).
        Assert.Contains(tokenizer.Vocabulary.Tokens, t => t.StartsWith("ICD10CM//E11", StringComparison.Ordinal));
        Assert.Equal(new Dictionary<string, string>
        {
            ["LOINC//2160-0//mg/dL"] = "Creatinine [Mass/volume] in Serum or Plasma",
            ["NOTE//tab\there\\and\nnewline//Größe"] = "A name\twith a tab",
            ["SNOMED//3"] = "Three",
        }, tokenizer.CodeDescriptions);
        Assert.Equal(tokenizer.CodeDescriptions, loaded.CodeDescriptions);
        Assert.StartsWith("# fhirrisk-code-names 1\ncode\tdescription\nLOINC//2160-0//mg/dL\tCreatinine", File.ReadAllText(_temp.File("model", "codes.tsv")), StringComparison.Ordinal);
        // The names are no part of what the tokenizer encodes by.
        Assert.Equal(TimelineTokenizer.Fit(_dataset).EncodingFingerprint, loaded.EncodingFingerprint);
    }

    [Fact]
    public void Save_WithoutNames_WritesNoCodesFile_AndRemovesAStaleOne_AndADamagedOneIsRefusedWithAHint()
    {
        var folder = _temp.File("plain");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "codes.tsv"), "# fhirrisk-code-names 1\ncode\tdescription\nX//1\tstale\n");

        TimelineTokenizer.Fit(_dataset).Save(folder);

        Assert.False(File.Exists(Path.Combine(folder, "codes.tsv")));
        Assert.Empty(TimelineTokenizer.Load(folder).CodeDescriptions);
        File.WriteAllText(Path.Combine(folder, "codes.tsv"), "# fhirrisk-code-names 1\ncode\tdescription\nno tab here\n");
        var error = Assert.Throws<InvalidDataException>(() => TimelineTokenizer.Load(folder));
        Assert.Contains("codes.tsv: line 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("delete it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_OnADatasetReadInASiteZone_RecordsTheZone_AndAUtcDatasetRecordsNone()
    {
        // dataset.json's fhirrisk_time_zone, which ingestion writes for --time-zone, reaches tokenizer.json, where the
        // service checks it against Model:TimeZone.
        var subjects = _dataset.ReadSubjects().Select(s => s.Events.ToArray()).ToArray();
        using (var writer = new FhirRisk.Meds.MedsDatasetWriter(_temp.File("berlin"), FhirRisk.Meds.MedsDatasetWriterSettings.Default with { SiteTimeZone = "Europe/Berlin" }))
        {
            foreach (var events in subjects)
                writer.WriteSubject(events[0].SubjectId, events, FhirRisk.Meds.MedsSchema.TrainSplit);
            writer.Complete();
        }

        TimelineTokenizer.Fit(FhirRisk.Meds.MedsDatasetReader.Open(_temp.File("berlin"))).Save(_temp.File("zoned"));
        TimelineTokenizer.Fit(_dataset).Save(_temp.File("utc"));

        Assert.Contains("\"fhirrisk_time_zone\": \"Europe/Berlin\"", File.ReadAllText(_temp.File("berlin", "metadata", "dataset.json")), StringComparison.Ordinal);
        Assert.Equal("Europe/Berlin", TimelineTokenizer.Load(_temp.File("zoned")).FittedOn.SiteTimeZone);
        Assert.Null(TimelineTokenizer.Load(_temp.File("utc")).FittedOn.SiteTimeZone);
        Assert.DoesNotContain("site_time_zone", File.ReadAllText(_temp.File("utc", "tokenizer.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SavedTokenizer_SameLanguageAndSameEncoding()
    {
        var fitted = TimelineTokenizer.Fit(_dataset);
        fitted.Save(_temp.File("model"));

        var loaded = TimelineTokenizer.Load(_temp.File("model"));

        Assert.Equal(fitted.Vocabulary.Tokens, loaded.Vocabulary.Tokens);
        Assert.Equal(fitted.Vocabulary.Counts, loaded.Vocabulary.Counts);
        Assert.Contains("NOTE//tab\there\\and\nnewline//Größe", loaded.Vocabulary.Tokens);
        Assert.Equal(fitted.Intervals, loaded.Intervals);
        Assert.Equal(fitted.FittedOn.Subjects, loaded.FittedOn.Subjects);
        Assert.Equal(fitted.Settings.Hierarchies, loaded.Settings.Hierarchies);
        Assert.Equal(fitted.Settings.Intervals, loaded.Settings.Intervals);
        Assert.Equal(fitted.Quantiles.Keys.Order(StringComparer.Ordinal), loaded.Quantiles.Keys.Order(StringComparer.Ordinal));
        foreach (var (code, quantiles) in fitted.Quantiles)
        {
            Assert.Equal(quantiles.Breaks, loaded.Quantiles[code].Breaks);
            Assert.Equal(quantiles.BinValues, loaded.Quantiles[code].BinValues);
        }
        foreach (var subject in _dataset.ReadSubjects())
            Assert.Equal(fitted.Encode(subject).Tokens.ToArray(), loaded.Encode(subject).Tokens.ToArray());
    }

    [Fact]
    public void EncodingFingerprint_FollowsTheTokenizerFile_NotItsFitRecord()
    {
        var fitted = TimelineTokenizer.Fit(_dataset);
        fitted.Save(_temp.File("model"));
        var path = _temp.File("model", "tokenizer.json");
        var manifest = JsonNode.Parse(File.ReadAllText(path))!;

        Assert.Equal(fitted.EncodingFingerprint, TimelineTokenizer.Load(_temp.File("model")).EncodingFingerprint);

        // Another fitted_on record (counts of the data fitted on): the same tokenizer file otherwise.
        manifest["fitted_on"]!["subjects"] = 31;
        File.WriteAllText(path, manifest.ToJsonString());
        var recounted = TimelineTokenizer.Load(_temp.File("model"));
        Assert.Equal(fitted.EncodingFingerprint, recounted.EncodingFingerprint);

        // Another cut point of a lab's deciles: the same tokens, other meanings (review s22 trainer H1).
        var breaks = manifest["quantiles"]![0]!["breaks"]!.AsArray();
        breaks[0] = breaks[0]!.GetValue<double>() - 0.5;
        File.WriteAllText(path, manifest.ToJsonString());
        var rebinned = TimelineTokenizer.Load(_temp.File("model"));
        Assert.Equal(fitted.Vocabulary.Fingerprint, rebinned.Vocabulary.Fingerprint);
        Assert.NotEqual(fitted.EncodingFingerprint, rebinned.EncodingFingerprint);
    }

    [Fact]
    public void Load_UnknownVersion_RefusedWithAHint()
    {
        TimelineTokenizer.Fit(_dataset).Save(_temp.File("model"));
        var path = _temp.File("model", "tokenizer.json");
        var manifest = JsonNode.Parse(File.ReadAllText(path))!;
        manifest["version"] = 2;
        File.WriteAllText(path, manifest.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => TimelineTokenizer.Load(_temp.File("model")));

        Assert.Contains("version 2 is not supported", error.Message, StringComparison.Ordinal);
        Assert.Contains("Hint: refit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_VocabularyFromAnotherFit_Refused()
    {
        TimelineTokenizer.Fit(_dataset).Save(_temp.File("model"));
        var path = _temp.File("model", "vocabulary.tsv");
        File.WriteAllLines(path, File.ReadAllLines(path)[..^1]);

        var error = Assert.Throws<InvalidDataException>(() => TimelineTokenizer.Load(_temp.File("model")));

        Assert.Contains("vocabulary_size", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingDirectory_FileNotFoundWithHint()
    {
        var error = Assert.Throws<FileNotFoundException>(() => TimelineTokenizer.Load(_temp.File("nothing")));

        Assert.Contains("Hint:", error.Message, StringComparison.Ordinal);
    }
}
