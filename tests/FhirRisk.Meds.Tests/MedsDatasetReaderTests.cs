using FhirRisk.Core;
using FhirRisk.Parquet;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests;

public sealed class MedsDatasetReaderTests
{
    private static readonly FixedClock s_clock = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void ReadSubjects_SplitFilter_OnlyThatSplitsSubjects()
    {
        using var temp = new TempDirectory();
        var subjects = SyntheticSubjects.Generate(seed: 21, count: 50);
        MedsDatasetWriterTests.Write(temp.Path, subjects, new MedsDatasetWriterSettings { Clock = s_clock });
        var reader = MedsDatasetReader.Open(temp.Path);

        var tuning = reader.ReadSubjects(new MedsReadOptions { Splits = [MedsSchema.TuningSplit] }).ToList();

        var expected = subjects.Where(s => reader.SubjectSplits[s.SubjectId] == MedsSchema.TuningSplit).Select(s => s.SubjectId);
        Assert.Equal(expected.Order(), tuning.Select(s => s.SubjectId).Order());
        Assert.All(tuning, s => Assert.Equal(MedsSchema.TuningSplit, s.Split));
    }

    [Fact]
    public void ReadShard_ShardDirectlyInData_SplitTakenFromSubjectSplits()
    {
        using var temp = new TempDirectory();
        new RawDataset(temp.Path)
            .WithMetadata(["A"], [(1, "train"), (2, "held_out")])
            .WithShard("data/all.parquet", new RawRow(1, RawDataset.Micros(1), "A"), new RawRow(2, RawDataset.Micros(1), "A"));
        var reader = MedsDatasetReader.Open(temp.Path);

        var heldOut = reader.ReadSubjects(new MedsReadOptions { Splits = ["held_out"] }).ToList();

        Assert.Equal(2, Assert.Single(heldOut).SubjectId);
        Assert.Equal("held_out", heldOut[0].Split);
    }

    [Fact]
    public void Shards_NumberedFiles_NumericOrderWithinSplitOrder()
    {
        using var temp = new TempDirectory();
        var raw = new RawDataset(temp.Path);
        foreach (var path in new[] { "data/held_out/0.parquet", "data/train/10.parquet", "data/train/2.parquet", "data/extra/0.parquet", "data/tuning/0.parquet" })
            raw.WithShard(path, new RawRow(1, RawDataset.Micros(1), "A"));

        var shards = MedsDatasetReader.Open(temp.Path).Shards.Select(s => s.RelativePath);

        Assert.Equal(["data/train/2.parquet", "data/train/10.parquet", "data/tuning/0.parquet", "data/held_out/0.parquet", "data/extra/0.parquet"], shards);
    }

    [Fact]
    public void ReadEvents_NullCode_ThrowsWithIssueCodeAndRow()
    {
        using var temp = new TempDirectory();
        new RawDataset(temp.Path).WithShard("data/train/0.parquet", new RawRow(1, null, "A"), new RawRow(1, RawDataset.Micros(1), null));

        var error = Assert.Throws<MedsFormatException>(() => MedsDatasetReader.Open(temp.Path).ReadEvents().ToList());

        Assert.Equal(MedsIssueCodes.NullCode, error.Issue.Code);
        Assert.Equal("data/train/0.parquet:row 1", error.Issue.Path);
    }

    [Fact]
    public void ReadEvents_TimeStoredAsInt64_ThrowsColumnWrongType()
    {
        using var temp = new TempDirectory();
        var fields = new[] { new ParquetField("subject_id", ParquetType.Int64), new ParquetField("time", ParquetType.Int64), new ParquetField("code", ParquetType.String) };
        new RawDataset(temp.Path).Write("data/train/0.parquet", new ParquetSchema(fields),
            [ParquetColumn.Create(fields[0], new long[] { 1 }), ParquetColumn.Create(fields[1], new long[] { 5 }), ParquetColumn.Create(fields[2], new string?[] { "A" })]);

        var error = Assert.Throws<MedsFormatException>(() => MedsDatasetReader.Open(temp.Path).ReadEvents().ToList());

        Assert.Equal(MedsIssueCodes.ColumnWrongType, error.Issue.Code);
    }

    [Fact]
    public void ReadEvents_MillisecondAndNanosecondTimes_RescaledToMicroseconds()
    {
        using var temp = new TempDirectory();
        var expected = new DateTime(2021, 3, 4, 5, 6, 7).AddTicks(1_234_560);
        var micros = (expected - DateTime.UnixEpoch).Ticks / 10;
        var raw = new RawDataset(temp.Path);
        foreach (var (unit, value, split) in new[] { (TimestampUnit.Millis, micros / 1000, "train"), (TimestampUnit.Nanos, (micros * 1000) + 999, "tuning") })
        {
            var fields = new[] { new ParquetField("subject_id", ParquetType.Int64), ParquetField.Timestamp("time", unit: unit), new ParquetField("code", ParquetType.String) };
            raw.Write($"data/{split}/0.parquet", new ParquetSchema(fields),
                [ParquetColumn.Create(fields[0], new long[] { 1 }), ParquetColumn.Create(fields[1], new[] { value }), ParquetColumn.Create(fields[2], new string?[] { "A" })]);
        }

        var times = MedsDatasetReader.Open(temp.Path).ReadEvents().Select(e => e.Time).ToArray();

        Assert.Equal([new DateTime(2021, 3, 4, 5, 6, 7, 123), expected], times);
    }

    [Fact]
    public void Open_MissingFolder_ThrowsDirectoryNotFound() =>
        Assert.Throws<DirectoryNotFoundException>(() => MedsDatasetReader.Open(Path.Combine(Path.GetTempPath(), "no-such-meds-" + Guid.NewGuid())));
}
