using FhirRisk.Meds.Ingestion;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Ingestion;

public sealed class SubjectEventSpoolTests
{
    [Fact]
    public void ReadSubjects_EventsOfManySubjects_AscendingIdsWithEventsInSpoolOrder()
    {
        using var temp = new TempDirectory();
        var ids = new[] { long.MaxValue, 5, 1L << 60, 3, (1L << 57) + 1 };
        using var spool = new SubjectEventSpool(temp.Path);
        foreach (var id in ids)
        {
            spool.Add(new MedsEvent(id, new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc), "LOINC//2160-0//mg/dL", 1.5f, null, 42));
            spool.Add(new MedsEvent(id, null, "GENDER//F"));
        }

        var subjects = spool.ReadSubjects().ToList();

        Assert.Equal(ids.Order().ToArray(), subjects.Select(s => s.SubjectId).ToArray());
        Assert.Equal(10, spool.Events);
        Assert.Equal(5, spool.Subjects);
        Assert.All(subjects, s => Assert.Equal(["LOINC//2160-0//mg/dL", "GENDER//F"], s.Events.Select(e => e.Code)));
    }

    [Fact]
    public void ReadSubjects_EveryField_RoundTripsExactly()
    {
        using var temp = new TempDirectory();
        var events = new[]
        {
            new MedsEvent(7, new DateTime(638_000_000_000_000_123, DateTimeKind.Utc), "LOINC//8867-4///min", 72.25f, "high", long.MinValue),
            new MedsEvent(7, new DateTime(2001, 2, 3), "ICD10CM//E11.9", null, "ünïcødé ✓", null),
            new MedsEvent(7, null, "RACE//2106-3", float.NaN, null, 0),
            new MedsEvent(7, DateTime.MaxValue, "", -0f, "", 1),
        };
        using var spool = new SubjectEventSpool(temp.Path);
        foreach (var ev in events)
            spool.Add(ev);

        var (id, read) = Assert.Single(spool.ReadSubjects());

        Assert.Equal(7, id);
        Assert.Equal(events, read);
        Assert.Equal(events.Select(e => e.Time?.Kind), read.Select(e => e.Time?.Kind));
    }

    [Fact]
    public void ReadSubjects_RandomEvents_EqualToGroupingTheInputBySubject()
    {
        using var temp = new TempDirectory();
        var random = new Random(11);
        var subjectIds = Enumerable.Range(0, 40).Select(_ => random.NextInt64(0, long.MaxValue)).Append(0).Append(long.MaxValue).ToArray();
        var codes = Enumerable.Range(0, 300).Select(i => $"LOINC//{i}-{random.Next(10)}").ToArray();
        var events = Enumerable.Range(0, 5_000).Select(_ => RandomEvent(random, subjectIds, codes)).ToArray();
        using var spool = new SubjectEventSpool(temp.Path);
        foreach (var ev in events)
            spool.Add(ev);

        var read = spool.ReadSubjects().ToList();

        // The reference: group in input order, subjects by ascending id.
        var expected = events.GroupBy(e => e.SubjectId).OrderBy(g => g.Key).ToList();
        Assert.Equal(expected.Select(g => g.Key), read.Select(s => s.SubjectId));
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].ToArray(), read[i].Events);
            Assert.Equal(read[i].Events.Count, read[i].Events.Capacity);
        }
    }

    [Fact]
    public void ReadSubjects_OneCodeInManyBuckets_EventsShareOneString()
    {
        using var temp = new TempDirectory();
        using var spool = new SubjectEventSpool(temp.Path);
        spool.Add(new MedsEvent(1, null, new string("GENDER//F")));
        spool.Add(new MedsEvent(long.MaxValue, null, new string("GENDER//F")));
        spool.Add(new MedsEvent(long.MaxValue, null, new string("GENDER//F")));

        var codes = spool.ReadSubjects().SelectMany(s => s.Events).Select(e => e.Code).ToArray();

        Assert.Equal(3, codes.Length);
        Assert.All(codes, code => Assert.Same(codes[0], code));
    }

    [Fact]
    public void ReadSubjects_LongTexts_RoundTrip()
    {
        using var temp = new TempDirectory();
        var texts = new[] { new string('a', 127), new string('b', 128), string.Concat(Enumerable.Repeat("ünïcødé ✓ ", 2_000)) };
        using var spool = new SubjectEventSpool(temp.Path);
        foreach (var text in texts)
            spool.Add(new MedsEvent(3, null, "NOTE//x", null, text));

        var (_, read) = Assert.Single(spool.ReadSubjects());

        Assert.Equal(texts, read.Select(e => e.TextValue));
    }

    [Fact]
    public void ReadSubjects_TruncatedBucketFile_ThrowsInvalidData()
    {
        using var temp = new TempDirectory();
        using var spool = new SubjectEventSpool(temp.Path);
        spool.Add(new MedsEvent(5, new DateTime(2020, 1, 1), "LOINC//1-1", 1f, "text", 7));
        Assert.Single(spool.ReadSubjects());
        var bucket = Assert.Single(Directory.GetFiles(temp.Path));
        using (var file = new FileStream(bucket, FileMode.Open))
            file.SetLength(file.Length - 3);

        Assert.Throws<InvalidDataException>(() => spool.ReadSubjects().ToList());
    }

    [Fact]
    public void Dispose_AfterReading_DeletesBucketFiles()
    {
        using var temp = new TempDirectory();
        using (var spool = new SubjectEventSpool(temp.Path))
        {
            spool.Add(new MedsEvent(1, null, "GENDER//M"));
            spool.Add(new MedsEvent(long.MaxValue, null, "GENDER//F"));
            Assert.Equal(2, spool.ReadSubjects().Count());
            Assert.Equal(2, Directory.GetFiles(temp.Path).Length);
        }

        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    private static MedsEvent RandomEvent(Random random, long[] subjectIds, string[] codes)
    {
        var kind = (DateTimeKind)random.Next(3);
        return new MedsEvent(
            subjectIds[random.Next(subjectIds.Length)],
            random.Next(5) == 0 ? null : new DateTime(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), kind),
            codes[random.Next(codes.Length)],
            random.Next(2) == 0 ? null : (float)random.NextDouble(),
            random.Next(4) == 0 ? new string('t', random.Next(0, 300)) : null,
            random.Next(3) == 0 ? null : random.NextInt64());
    }

    [Theory]
    [InlineData(0L, 0)]
    [InlineData((1L << 57) - 1, 0)]
    [InlineData(1L << 57, 1)]
    [InlineData(long.MaxValue, 63)]
    public void BucketOf_IdRange_TopSixBits(long subjectId, int bucket) =>
        Assert.Equal(bucket, SubjectEventSpool.BucketOf(subjectId));
}
