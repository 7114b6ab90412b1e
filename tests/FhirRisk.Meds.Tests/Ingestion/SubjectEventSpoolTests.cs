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

    [Theory]
    [InlineData(0L, 0)]
    [InlineData((1L << 57) - 1, 0)]
    [InlineData(1L << 57, 1)]
    [InlineData(long.MaxValue, 63)]
    public void BucketOf_IdRange_TopSixBits(long subjectId, int bucket) =>
        Assert.Equal(bucket, SubjectEventSpool.BucketOf(subjectId));
}
