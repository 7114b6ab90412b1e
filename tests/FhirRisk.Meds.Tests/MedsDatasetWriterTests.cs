using FhirRisk.Core;
using FhirRisk.Parquet;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests;

public sealed class MedsDatasetWriterTests
{
    private static readonly FixedClock s_clock = new(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));

    [Fact]
    public void WriteSubject_RandomSubjects_ReadBackInMedsOrder()
    {
        using var temp = new TempDirectory();
        var subjects = SyntheticSubjects.Generate(seed: 7, count: 60);
        var summary = Write(temp.Path, subjects, new MedsDatasetWriterSettings { Clock = s_clock, MaxSubjectsPerShard = 8 });

        var read = MedsDatasetReader.Open(temp.Path).ReadSubjects().ToDictionary(s => s.SubjectId);

        Assert.Equal(60, read.Count);
        Assert.Equal(subjects.Sum(s => s.Events.Length), summary.Events);
        foreach (var (subjectId, events) in subjects)
            Assert.Equal(SyntheticSubjects.InMedsOrder(events), read[subjectId].Events);
    }

    [Fact]
    public void WriteSubject_SmallRowGroups_SubjectsSpanRowGroupsAndReadBackWhole()
    {
        using var temp = new TempDirectory();
        var subjects = SyntheticSubjects.Generate(seed: 11, count: 12);
        var settings = new MedsDatasetWriterSettings
        {
            Clock = s_clock,
            SplitFractions = new MedsSplitFractions(1, 0, 0),
            ParquetOptions = ParquetWriterOptions.Default with { RowGroupSize = 7 },
        };
        Write(temp.Path, subjects, settings);

        using (var shard = ParquetFileReader.Open(Path.Combine(temp.Path, "data", "train", "0.parquet")))
            Assert.True(shard.RowGroupCount > 10, $"expected many 7-row groups, got {shard.RowGroupCount}");
        var read = MedsDatasetReader.Open(temp.Path).ReadSubjects().ToList();

        Assert.Equal(subjects.Select(s => s.SubjectId), read.Select(s => s.SubjectId));
        Assert.All(read, s => Assert.Equal(SyntheticSubjects.InMedsOrder(subjects.Single(x => x.SubjectId == s.SubjectId).Events), s.Events));
    }

    [Fact]
    public void Complete_ShardLimits_SplitsShardsBySubjectsAndRows()
    {
        using var temp = new TempDirectory();
        var events = Enumerable.Range(0, 10).Select(i => new MedsEvent(0, new DateTime(2020, 1, 1).AddHours(i), "X")).ToArray();
        var settings = new MedsDatasetWriterSettings { Clock = s_clock, MaxSubjectsPerShard = 3, MaxRowsPerShard = 25, SplitFractions = new(1, 0, 0) };
        using var writer = new MedsDatasetWriter(temp.Path, settings);
        for (long id = 1; id <= 7; id++)
            writer.WriteSubject(id, events.Select(e => e with { SubjectId = id }));
        var summary = writer.Complete();

        // 25 rows hold two 10-row subjects, so the row limit closes shards before the subject limit does.
        Assert.Equal(["data/train/0.parquet", "data/train/1.parquet", "data/train/2.parquet", "data/train/3.parquet"], summary.Shards);
        var reader = MedsDatasetReader.Open(temp.Path);
        Assert.Equal([2L, 2, 2, 1], reader.Shards.Select(s => reader.ReadShard(s).Select(e => e.SubjectId).Distinct().LongCount()));
    }

    [Fact]
    public void WriteSubject_SameSubjectTwice_Throws()
    {
        using var temp = new TempDirectory();
        using var writer = new MedsDatasetWriter(temp.Path, new MedsDatasetWriterSettings { Clock = s_clock });
        writer.WriteSubject(5, [new MedsEvent(5, null, "GENDER//F")]);

        var error = Assert.Throws<ArgumentException>(() => writer.WriteSubject(5, [new MedsEvent(5, null, "GENDER//M")]));
        Assert.Contains("already written", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteSubject_EventOfOtherSubjectOrWithoutCode_Throws()
    {
        using var temp = new TempDirectory();
        using var writer = new MedsDatasetWriter(temp.Path, new MedsDatasetWriterSettings { Clock = s_clock });

        Assert.Throws<ArgumentException>(() => writer.WriteSubject(1, [new MedsEvent(2, null, "X")]));
        Assert.Throws<ArgumentException>(() => writer.WriteSubject(3, [new MedsEvent(3, null, "")]));
        Assert.Throws<ArgumentException>(() => writer.WriteSubject(4, []));
    }

    [Fact]
    public void Constructor_FolderWithData_ThrowsIOException()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(temp.Path, "data", "train"));

        Assert.Throws<IOException>(() => new MedsDatasetWriter(temp.Path));
    }

    [Fact]
    public void Complete_SameInputAndClock_ByteIdenticalFiles()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        var subjects = SyntheticSubjects.Generate(seed: 3, count: 30);
        var settings = new MedsDatasetWriterSettings { Clock = s_clock, MaxSubjectsPerShard = 4 };
        Write(first.Path, subjects, settings);
        Write(second.Path, subjects, settings);

        var files = Files(first.Path);
        Assert.Equal(files, Files(second.Path));
        Assert.All(files, f => Assert.Equal(File.ReadAllBytes(Path.Combine(first.Path, f)), File.ReadAllBytes(Path.Combine(second.Path, f))));
    }

    [Fact]
    public void Complete_Metadata_ListsEveryCodeSplitAndDatasetFields()
    {
        using var temp = new TempDirectory();
        var subjects = SyntheticSubjects.Generate(seed: 5, count: 40);
        using (var writer = new MedsDatasetWriter(temp.Path, new MedsDatasetWriterSettings { Clock = s_clock, DatasetName = "synthetic", SplitSalt = 9 }))
        {
            writer.AddCodeMetadata(new MedsCodeMetadata("LOINC//2160-0//mg/dL", "Creatinine", ["LOINC/2160-0"]));
            writer.AddCodeMetadata(new MedsCodeMetadata("UNUSED//1", "Listed without events"));
            foreach (var (id, events) in subjects)
                writer.WriteSubject(id, events);
            writer.Complete();
        }

        var reader = MedsDatasetReader.Open(temp.Path);
        var codes = reader.ReadCodes();
        var expectedCodes = subjects.SelectMany(s => s.Events).Select(e => e.Code).Append("UNUSED//1").Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(expectedCodes, codes.Select(c => c.Code));
        var creatinine = codes.Single(c => c.Code == "LOINC//2160-0//mg/dL");
        Assert.Equal("Creatinine", creatinine.Description);
        Assert.Equal(["LOINC/2160-0"], creatinine.ParentCodes!);
        Assert.All(subjects, s => Assert.Equal(MedsSplitFractions.Default.Assign(s.SubjectId, 9), reader.SubjectSplits[s.SubjectId]));
        Assert.Equal("synthetic", reader.Metadata!.DatasetName);
        Assert.Equal("0.4", reader.Metadata.MedsVersion);
        Assert.Equal("2025-01-02T03:04:05.000000+00:00", reader.Metadata.CreatedAt);
    }

    internal static MedsDatasetWriteSummary Write(string root, IEnumerable<(long SubjectId, MedsEvent[] Events)> subjects, MedsDatasetWriterSettings settings)
    {
        using var writer = new MedsDatasetWriter(root, settings);
        foreach (var (id, events) in subjects)
            writer.WriteSubject(id, events);
        return writer.Complete();
    }

    private static string[] Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToArray();
}
