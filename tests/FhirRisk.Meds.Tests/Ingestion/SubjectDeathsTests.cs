using FhirRisk.Meds.Ingestion;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Ingestion;

/// <summary>A subject dies once: only the earliest MEDS_DEATH of each subject is written.</summary>
public sealed class SubjectDeathsTests
{
    private static readonly DateTime Early = new(2020, 1, 5, 11, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Late = new(2021, 3, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void KeepEarliest_TwoDeaths_KeepsTheEarlierAndOtherEventsInOrder()
    {
        var events = new List<MedsEvent>
        {
            new(1, null, "GENDER//F"),
            new(1, Late, MedsSchema.DeathCode),
            new(1, Early, "SNOMED//1"),
            new(1, Early, MedsSchema.DeathCode),
        };

        var removed = SubjectDeaths.KeepEarliest(events);

        Assert.Equal(1, removed);
        Assert.Equal(["GENDER//F", "SNOMED//1", MedsSchema.DeathCode], events.Select(e => e.Code));
        Assert.Equal(Early, events[2].Time);
    }

    [Fact]
    public void KeepEarliest_EqualTimesAndUntimed_KeepsTheFirstTimedDeath()
    {
        var first = new MedsEvent(1, Early, MedsSchema.DeathCode, TextValue: "first");
        var events = new List<MedsEvent> { new(1, null, MedsSchema.DeathCode), first, new(1, Early, MedsSchema.DeathCode, TextValue: "second") };

        Assert.Equal(2, SubjectDeaths.KeepEarliest(events));
        Assert.Equal([first], events);
    }

    [Fact]
    public void KeepEarliest_OneDeath_NothingRemoved()
    {
        var events = new List<MedsEvent> { new(1, Late, MedsSchema.DeathCode), new(1, Early, "LOINC//1") };

        Assert.Equal(0, SubjectDeaths.KeepEarliest(events));
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public void Run_DeceasedDateAndTwoDiedDischarges_OneDeathAtTheEarliest()
    {
        using var temp = new TempDirectory();
        var input = temp.File("Everything.ndjson");
        // A date-only deceasedDateTime after both discharges, and two "died" dispositions: three death sources.
        File.WriteAllText(input, string.Join('\n',
            """{"resourceType":"Patient","id":"p1","birthDate":"1950-01-01","deceasedDateTime":"2022-06-01"}""",
            Died("e1", "2021-03-01T00:00:00Z"),
            Died("e2", "2020-01-05T11:00:00Z")) + "\n");

        var summary = FhirIngestionRealDataTests.Ingest(temp.File("out"), input);

        var deaths = MedsDatasetReader.Open(temp.File("out")).ReadEvents().Where(e => e.Code == MedsSchema.DeathCode).ToList();
        var death = Assert.Single(deaths);
        Assert.Equal(Early, death.Time);
        Assert.Equal(1, summary.EventsByCodeFamily[MedsSchema.DeathCode]);
    }

    private const string DiedEncounter = """{"resourceType":"Encounter","id":"ID","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/p1"},"period":{"start":"2019-01-01T00:00:00Z","end":"END"},"hospitalization":{"dischargeDisposition":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/discharge-disposition","code":"exp"}]}}}""";

    private static string Died(string id, string end) =>
        DiedEncounter.Replace("\"ID\"", $"\"{id}\"", StringComparison.Ordinal).Replace("\"END\"", $"\"{end}\"", StringComparison.Ordinal);
}
