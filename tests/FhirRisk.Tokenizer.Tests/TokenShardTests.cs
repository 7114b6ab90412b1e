using System.Buffers.Binary;
using FhirRisk.Meds;
using FhirRisk.Testing;
using Xunit.Abstractions;

namespace FhirRisk.Tokenizer.Tests;

public sealed class TokenShardTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TokenizerSettings s_mimicSettings = TokenizerSettings.Default with { FitSplits = [MedsSchema.TuningSplit] };

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [ExternalDataFact]
    public void Run_MimicDemo_ShardsHoldExactlyWhatEncodeGives()
    {
        var dataset = MedsDatasetReader.Open(ExternalData.Path("mimic-iv-demo", "mimic-iv-demo-meds-0.0.1"));
        var tokenizer = TimelineTokenizer.Fit(dataset, s_mimicSettings);

        var summary = DatasetTokenization.Run(tokenizer, dataset, _temp.File("tokens"), parallelism: 2);

        output.WriteLine($"tokenize MIMIC-IV demo (read + encode + write): {summary.Events / summary.Elapsed.TotalSeconds:N0} events/s, {summary.Tokens / summary.Elapsed.TotalSeconds:N0} tokens/s");
        Assert.Equal(["held_out/0.tokens", "tuning/0.tokens"], summary.Shards.Select(s => s.Path).Order(StringComparer.Ordinal));
        Assert.True(File.Exists(_temp.File("tokens", DatasetTokenization.ManifestFile)));
        var expected = dataset.ReadSubjects().ToDictionary(s => s.SubjectId);
        Assert.Equal(expected.Count, summary.Subjects);
        foreach (var info in summary.Shards)
        {
            using var shard = TokenShard.Open(_temp.File("tokens", info.Path));
            shard.CheckVocabulary(tokenizer, info.Path);
            Assert.Equal(info.Tokens, shard.TokenCount);
            for (var i = 0; i < shard.SubjectCount; i++)
            {
                var direct = tokenizer.Encode(expected[shard.SubjectIds[i]]);
                Assert.Equal(direct.Tokens.ToArray(), shard.Tokens(i).ToArray());
                Assert.Equal(direct.Times.ToArray(), shard.Times(i).ToArray());
                var statics = shard.Statics(i, tokenizer);
                foreach (var time in new[] { direct.Times[0], direct.Times[^1] })
                    Assert.Equal(tokenizer.PrefixAt(direct.Statics, time), tokenizer.PrefixAt(statics, time));
            }
        }
    }

    [Fact]
    public void A_written_shard_is_readable_by_its_owner_only()
    {
        UnixFileModes.AssertOwnerOnlyFile(WriteSmallShard()); // patient timelines, as the MEDS shards (CLI review s10 #13)
    }

    [Fact]
    public void Open_UnknownVersion_RefusedWithAHint()
    {
        var path = WriteSmallShard();
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 2);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => TokenShard.Open(path));

        Assert.Contains("version 2 is not supported", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_TruncatedShard_RefusedWithAHint()
    {
        var path = WriteSmallShard();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);

        var error = Assert.Throws<InvalidDataException>(() => TokenShard.Open(path));

        Assert.Contains("Hint:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckVocabulary_AnotherTokenizer_Refused()
    {
        var path = WriteSmallShard();
        var other = TimelineTokenizer.Fit(SmallDatasets.Write(_temp.File("other"), [[SmallDatasets.At(9, TimeSpan.Zero, "Z")]]));
        using var shard = TokenShard.Open(path);

        Assert.Throws<InvalidDataException>(() => shard.CheckVocabulary(other, path));
    }

    [Fact]
    public void CheckTokenizer_TheManifestNamesTheTokenizerItsShardsWereEncodedWith()
    {
        var dataset = SmallDatasets.Write(_temp.File("meds"), [
            [SmallDatasets.Static(1, "GENDER//F"), SmallDatasets.At(1, TimeSpan.Zero, "LAB", 1), SmallDatasets.At(1, TimeSpan.FromHours(3), "LAB", 5)],
            [SmallDatasets.Static(2, "GENDER//M"), SmallDatasets.At(2, TimeSpan.Zero, "LAB", 9), SmallDatasets.At(2, TimeSpan.FromHours(1), "LAB", 3)]]);
        var tokenizer = TimelineTokenizer.Fit(dataset);
        DatasetTokenization.Run(tokenizer, dataset, _temp.File("tokens"));
        var manifestPath = _temp.File("tokens", DatasetTokenization.ManifestFile);
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        // The same tokens with the lab's cut points moved: another tokenizer, whose ids mean other values.
        tokenizer.Save(_temp.File("moved"));
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(_temp.File("moved", "tokenizer.json")))!;
        var breaks = json["quantiles"]![0]!["breaks"]!.AsArray();
        breaks[0] = breaks[0]!.GetValue<double>() + 0.5;
        File.WriteAllText(_temp.File("moved", "tokenizer.json"), json.ToJsonString());
        var moved = TimelineTokenizer.Load(_temp.File("moved"));

        DatasetTokenization.CheckTokenizer(manifest.RootElement, tokenizer, manifestPath);
        Assert.Equal(tokenizer.Vocabulary.Fingerprint, moved.Vocabulary.Fingerprint);
        var error = Assert.Throws<InvalidDataException>(() => DatasetTokenization.CheckTokenizer(manifest.RootElement, moved, manifestPath));
        Assert.Contains("another tokenizer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_OutputFolderNotEmpty_Refused()
    {
        var dataset = SmallDatasets.Write(_temp.File("meds"), [[SmallDatasets.At(1, TimeSpan.Zero, "A")]]);
        Directory.CreateDirectory(_temp.File("out"));
        File.WriteAllText(_temp.File("out", "old.tokens"), "");

        Assert.Throws<IOException>(() => DatasetTokenization.Run(TimelineTokenizer.Fit(dataset), dataset, _temp.File("out")));
    }

    private string WriteSmallShard()
    {
        var dataset = SmallDatasets.Write(_temp.File("meds"), [
            [SmallDatasets.Static(1, "GENDER//F"), SmallDatasets.At(1, TimeSpan.Zero, "A"), SmallDatasets.At(1, TimeSpan.FromHours(3), "B")],
            [SmallDatasets.At(2, TimeSpan.Zero, "A")],
        ]);
        var summary = DatasetTokenization.Run(TimelineTokenizer.Fit(dataset), dataset, _temp.File("out"));
        return _temp.File("out", summary.Shards.Single().Path);
    }
}
