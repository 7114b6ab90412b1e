using FhirRisk.Fhir.Model;
using FhirRisk.Meds.Omop;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Omop;

/// <summary>preceding_visit_occurrence_id / preceding_visit_detail_id: the same person's previous visit by start time, ties by id.</summary>
public sealed class OmopPrecedingVisitTests
{
    [Fact]
    public void Complete_VisitsOutOfOrder_EachLinksToThePersonsPreviousVisit()
    {
        using var temp = new TempDirectory();
        Export(temp.Path, Resources());

        var visits = OmopFixture.ReadRows(temp.File("visit_occurrence.csv"));
        // Rows keep input order; only the link follows time.
        Assert.Equal([Id("v3"), Id("v1"), Id("v2"), Id("w2"), Id("w1")], visits.Select(v => v["visit_occurrence_id"]));
        var preceding = visits.ToDictionary(v => v["visit_occurrence_id"], v => v["preceding_visit_occurrence_id"]);
        Assert.Equal(["", Id("v1"), Id("v2")], [preceding[Id("v1")], preceding[Id("v2")], preceding[Id("v3")]]);
        // w1 and w2 start at the same instant: the smaller id comes first.
        var (first, second) = HashingIdResolver.Id("Encounter/w1") < HashingIdResolver.Id("Encounter/w2") ? ("w1", "w2") : ("w2", "w1");
        Assert.Equal(["", Id(first)], [preceding[Id(first)], preceding[Id(second)]]);
    }

    [Fact]
    public void Complete_SubEncountersOutOfOrder_VisitDetailLinksToThePersonsPreviousDetail()
    {
        using var temp = new TempDirectory();
        Export(temp.Path, Resources());

        var details = OmopFixture.ReadRows(temp.File("visit_detail.csv"));
        Assert.Equal([Id("icu-b"), Id("icu-a")], details.Select(d => d["visit_detail_id"]));
        Assert.Equal([Id("icu-a"), ""], details.Select(d => d["preceding_visit_detail_id"]));
        Assert.Equal([Id("v2"), Id("v1")], details.Select(d => d["visit_occurrence_id"]));
    }

    [Fact]
    public void Complete_ReversedInput_SameLinksAndByteIdenticalReRuns()
    {
        using var forward = new TempDirectory();
        using var again = new TempDirectory();
        using var reversed = new TempDirectory();
        Export(forward.Path, Resources());
        Export(again.Path, Resources());
        Export(reversed.Path, Resources().Reverse());

        foreach (var file in Directory.GetFiles(forward.Path).Select(Path.GetFileName))
            Assert.Equal(File.ReadAllBytes(forward.File(file!)), File.ReadAllBytes(again.File(file!)));
        Assert.Equal(Links(forward.File("visit_occurrence.csv"), "visit_occurrence_id", "preceding_visit_occurrence_id"),
            Links(reversed.File("visit_occurrence.csv"), "visit_occurrence_id", "preceding_visit_occurrence_id"));
        Assert.Equal(Links(forward.File("visit_detail.csv"), "visit_detail_id", "preceding_visit_detail_id"),
            Links(reversed.File("visit_detail.csv"), "visit_detail_id", "preceding_visit_detail_id"));
    }

    /// <summary>Two persons: p1's three stays arrive newest first (two with an ICU sub-stay), p2's two start together.</summary>
    private static IEnumerable<FhirResource> Resources() =>
    [
        OmopFixture.Patient("p1"),
        OmopFixture.Patient("p2"),
        Encounter("v3", "p1", OmopFixture.At(2021, 3, 1, 8)),
        Encounter("v1", "p1", OmopFixture.At(2019, 5, 1, 8)),
        Encounter("v2", "p1", OmopFixture.At(2020, 2, 1, 8)),
        Encounter("icu-b", "p1", OmopFixture.At(2020, 2, 3, 8)) with { PartOf = OmopFixture.Ref("Encounter/v2") },
        Encounter("icu-a", "p1", OmopFixture.At(2019, 5, 2, 8)) with { PartOf = OmopFixture.Ref("Encounter/v1") },
        Encounter("w2", "p2", OmopFixture.At(2020, 6, 1, 10)),
        Encounter("w1", "p2", OmopFixture.At(2020, 6, 1, 10)),
    ];

    private static FhirEncounter Encounter(string id, string patient, FhirDateTime start) => new()
    {
        Id = id, Status = "finished", Class = new FhirCoding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP"),
        Subject = OmopFixture.Ref("Patient/" + patient), Period = new FhirPeriod(start, new FhirDateTime(start.Utc.AddHours(30), FhirDatePrecision.Minute)),
    };

    private static void Export(string folder, IEnumerable<FhirResource> resources)
    {
        var ids = new HashingIdResolver();
        ids.AddSubEncounter("Encounter/icu-a", "Encounter/v1");
        ids.AddSubEncounter("Encounter/icu-b", "Encounter/v2");
        OmopFixture.Export(new OmopExporterSettings(folder), resources, ids);
    }

    private static string Id(string encounter) => HashingIdResolver.Id("Encounter/" + encounter).ToString();

    private static Dictionary<string, string> Links(string path, string idColumn, string precedingColumn) =>
        OmopFixture.ReadRows(path).ToDictionary(r => r[idColumn], r => r[precedingColumn]);
}
