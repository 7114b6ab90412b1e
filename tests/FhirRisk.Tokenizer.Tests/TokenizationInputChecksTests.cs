using FhirRisk.Meds;
using FhirRisk.Testing;
using static FhirRisk.Tokenizer.Tests.SmallDatasets;

namespace FhirRisk.Tokenizer.Tests;

/// <summary>
/// What fit and encode do with MEDS data that breaks the format's promises (reviewer findings 6, 8, 9, 10): both refuse
/// unsorted subjects and subjects filed under another split than their listing, with the codes `meds validate` reports;
/// a shard directly in data/ is written per listed split; a vocabulary that knows too few of the codes is refused.
/// </summary>
public sealed class TokenizationInputChecksTests : IDisposable
{
    private const string Lab = "LOINC//2160-0//mg/dL";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Fit_SubjectInTheTrainFolderListedAsHeldOut_IsRefusedAsMeds021()
    {
        var root = _temp.File("misfiled");
        Write(root, [Labs(1, 1), Labs(2, 100)]);
        WriteSubjectSplits(root, (1, MedsSchema.TrainSplit), (2, MedsSchema.HeldOutSplit));

        var error = Assert.Throws<MedsFormatException>(() => TimelineTokenizer.Fit(MedsDatasetReader.Open(root)));

        Assert.Equal(MedsIssueCodes.SubjectInWrongSplitFolder, error.Issue.Code);
    }

    [Fact]
    public void Run_SubjectInTheTrainFolderListedAsHeldOut_IsRefusedAsMeds021AndLeavesNoShard()
    {
        var root = _temp.File("misfiled");
        var tokenizer = TimelineTokenizer.Fit(Write(root, [Labs(1, 1), Labs(2, 100)]));
        WriteSubjectSplits(root, (1, MedsSchema.TrainSplit), (2, MedsSchema.HeldOutSplit));
        var output = _temp.File("tokens");

        var error = Assert.Throws<MedsFormatException>(() => DatasetTokenization.Run(tokenizer, MedsDatasetReader.Open(root), output));

        Assert.Equal(MedsIssueCodes.SubjectInWrongSplitFolder, error.Issue.Code);
        Assert.Empty(FilesUnder(output));
    }

    [Fact]
    public void FitAndRun_SubjectWhoseTimesGoBack_AreBothRefusedAsMeds015()
    {
        var root = _temp.File("unsorted");
        WriteRawShard(root, "data/train/0.parquet",
            At(1, TimeSpan.FromDays(1), Lab, 2), At(1, TimeSpan.Zero, Lab, 1), At(1, TimeSpan.FromDays(2), Lab, 3));
        WriteSubjectSplits(root, (1, MedsSchema.TrainSplit));
        var tokenizer = TimelineTokenizer.Fit(Write(_temp.File("sorted"), [Labs(1, 1)]));
        var unsorted = MedsDatasetReader.Open(root);

        var fit = Assert.Throws<MedsFormatException>(() => TimelineTokenizer.Fit(unsorted));
        var run = Assert.Throws<MedsFormatException>(() => DatasetTokenization.Run(tokenizer, unsorted, _temp.File("tokens"), parallelism: 2));

        Assert.Equal(MedsIssueCodes.TimesUnsorted, fit.Issue.Code);
        Assert.Equal(MedsIssueCodes.TimesUnsorted, run.Issue.Code);
    }

    [Fact]
    public void Run_SubjectWhoseRowsResumeAfterAnother_IsRefusedAsMeds017()
    {
        var root = _temp.File("split-subject");
        WriteRawShard(root, "data/train/0.parquet", At(1, TimeSpan.Zero, Lab, 1), At(2, TimeSpan.Zero, Lab, 1), At(1, TimeSpan.FromDays(1), Lab, 2));
        var tokenizer = TimelineTokenizer.Fit(Write(_temp.File("sorted"), [Labs(1, 1)]));

        var error = Assert.Throws<MedsFormatException>(() => DatasetTokenization.Run(tokenizer, MedsDatasetReader.Open(root), _temp.File("tokens")));

        Assert.Equal(MedsIssueCodes.SubjectNotContiguous, error.Issue.Code);
    }

    [Fact]
    public void Run_ShardDirectlyInData_WritesOneTokenShardPerListedSplit()
    {
        var root = Unfoldered();
        var dataset = MedsDatasetReader.Open(root);
        var tokenizer = TimelineTokenizer.Fit(dataset);

        var all = DatasetTokenization.Run(tokenizer, dataset, _temp.File("all"));
        var train = DatasetTokenization.Run(tokenizer, dataset, _temp.File("train"), [MedsSchema.TrainSplit]);

        Assert.Equal(1, tokenizer.FittedOn.Subjects);
        Assert.Equal([("train/0.tokens", "train", 1L), ("tuning/0.tokens", "tuning", 1L), ("held_out/0.tokens", "held_out", 1L)],
            all.Shards.Select(s => (s.Path, s.Split, s.Subjects)));
        using var shard = TokenShard.Open(_temp.File("all", "held_out", "0.tokens"));
        Assert.Equal([3L], shard.SubjectIds.ToArray());
        Assert.Equal([("train/0.tokens", "train")], train.Shards.Select(s => (s.Path, s.Split)));
    }

    [Fact]
    public void Run_ShardInDataAndShardInASplitFolderWithTheSameName_IsRefusedAsTok002()
    {
        var root = Unfoldered();
        var tokenizer = TimelineTokenizer.Fit(MedsDatasetReader.Open(root));
        WriteRawShard(root, "data/train/0.parquet", At(4, TimeSpan.Zero, Lab, 1));

        var error = Assert.Throws<TokenizationException>(() => DatasetTokenization.Run(tokenizer, MedsDatasetReader.Open(root), _temp.File("tokens")));

        Assert.Equal(TokenizerIssueCodes.ShardPathCollision, error.Issue.Code);
    }

    [Fact]
    public void Run_MostCodesUnknown_IsRefusedAboveTheLimitLeavingNothing_AndWrittenWithoutOne()
    {
        var tokenizer = TimelineTokenizer.Fit(Write(_temp.File("fit"), [Labs(1, 1)]));
        MedsEvent[] foreign = [At(2, TimeSpan.Zero, Lab, 1), At(2, TimeSpan.FromHours(1), "NDC//0001"), At(2, TimeSpan.FromHours(2), "NDC//0002")];
        var other = Write(_temp.File("other"), [foreign]);
        var output = _temp.File("tokens");

        var error = Assert.Throws<TokenizationException>(() => DatasetTokenization.Run(tokenizer, other, output, maxUnknownShare: 0.5));
        var leftBehind = FilesUnder(output);
        var accepted = DatasetTokenization.Run(tokenizer, other, output, maxUnknownShare: null);

        Assert.Equal(TokenizerIssueCodes.TooManyUnknownCodes, error.Issue.Code);
        Assert.Empty(leftBehind);
        Assert.Equal(2, accepted.Coverage.Unknown);
        Assert.True(File.Exists(Path.Combine(output, DatasetTokenization.ManifestFile)));
    }

    // Subjects 1, 2, 3 in one shard data/0.parquet, listed as train, tuning and held_out.
    private string Unfoldered()
    {
        var root = _temp.File("unfoldered");
        Write(root, [Labs(1, 1), Labs(2, 2), Labs(3, 3)]);
        var shard = Assert.Single(Directory.GetFiles(Path.Combine(root, MedsSchema.DataFolder), "*.parquet", SearchOption.AllDirectories));
        File.Move(shard, Path.Combine(root, MedsSchema.DataFolder, "0.parquet"));
        Directory.Delete(Path.Combine(root, MedsSchema.DataFolder, MedsSchema.TrainSplit), recursive: true);
        WriteSubjectSplits(root, (1, MedsSchema.TrainSplit), (2, MedsSchema.TuningSplit), (3, MedsSchema.HeldOutSplit));
        return root;
    }

    private static MedsEvent[] Labs(long subject, float scale) =>
        [.. Enumerable.Range(0, 10).Select(i => At(subject, TimeSpan.FromHours(i), Lab, scale * (i + 1)))];

    private static string[] FilesUnder(string folder) =>
        Directory.Exists(folder) ? Directory.GetFiles(folder, "*", SearchOption.AllDirectories) : [];
}
