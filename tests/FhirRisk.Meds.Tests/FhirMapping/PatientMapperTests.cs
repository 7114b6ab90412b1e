using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;
using static FhirRisk.Meds.Tests.FhirMapping.MappingFixture;

namespace FhirRisk.Meds.Tests.FhirMapping;

public sealed class PatientMapperTests
{
    private const string Race = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
    private const string Ethnicity = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity";

    [Fact]
    public void Map_FullPatient_EmitsBirthGenderRaceEthnicityDeath()
    {
        var fixture = new MappingFixture();
        var patient = new FhirPatient
        {
            Id = "p1",
            Gender = "male",
            BirthDate = Day(1950, 3, 4),
            DeceasedDateTime = At(2020, 1, 2, 3, 4),
            Extensions =
            [
                new FhirExtension(Race, [new FhirCoding("urn:oid:2.16.840.1.113883.6.238", "2106-3")], "White"),
                new FhirExtension(Ethnicity, [new FhirCoding("urn:oid:2.16.840.1.113883.6.238", "2186-5")], null),
            ],
        };
        var events = fixture.Add(patient).Map(patient);
        var subject = fixture.SubjectId("p1");
        Assert.All(events, e => Assert.Equal(subject, e.SubjectId));
        Assert.Equal(
            ["MEDS_BIRTH@1950-03-04 00:00", "GENDER//M@static", "RACE//2106-3@static", "ETHNICITY//2186-5@static", "MEDS_DEATH@2020-01-02 03:04"],
            events.Select(e => $"{e.Code}@{e.Time?.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture) ?? "static"}"));
        Assert.Empty(fixture.Issues);
    }

    [Theory]
    [InlineData("female", "GENDER//F")]
    [InlineData("other", "GENDER//O")]
    [InlineData("unknown", "GENDER//U")]
    public void Map_Gender_MapsToLetter(string gender, string expected)
    {
        var events = new MappingFixture().Map(new FhirPatient { Id = "p", Gender = gender });
        Assert.Equal(expected, Assert.Single(events).Code);
    }

    [Fact]
    public void Map_DateOnlyDeathWithoutDiedDischarge_DeathAtEndOfDay()
    {
        var events = new MappingFixture().Map(new FhirPatient { Id = "p", DeceasedDateTime = Day(2020, 5, 6) });
        var death = Assert.Single(events);
        Assert.Equal("MEDS_DEATH", death.Code);
        Assert.Equal(new DateTime(2020, 5, 6, 23, 59, 59, 999).AddTicks(9990), death.Time);
    }

    [Fact]
    public void Map_DateOnlyDeathWithDiedDischarge_DefersToEncounter()
    {
        var fixture = new MappingFixture();
        var patient = new FhirPatient { Id = "p1", DeceasedDateTime = Day(2020, 5, 6) };
        fixture.Add(patient).Add(DiedEncounter("finished", new FhirPeriod(At(2020, 5, 1, 10), At(2020, 5, 6, 14))));
        Assert.Empty(fixture.Map(patient));
    }

    [Theory]
    [InlineData("entered-in-error", true)]
    [InlineData("cancelled", true)]
    [InlineData("in-progress", false)]
    public void Map_DateOnlyDeath_IsKeptWhenTheDiedEncounterWritesNoDeath(string status, bool ended)
    {
        // The encounter mapper writes a disposition death only for a mapped encounter with an end; a voided or unfinished
        // one saying "died" swallowed the Patient's own death, and nothing wrote one.
        var fixture = new MappingFixture();
        var patient = new FhirPatient { Id = "p1", DeceasedDateTime = Day(2020, 5, 6) };
        var encounter = DiedEncounter(status, new FhirPeriod(At(2020, 5, 1, 10), ended ? At(2020, 5, 6, 14) : null));
        fixture.Add(patient).Add(encounter);

        var death = Assert.Single(fixture.Map(patient));
        Assert.Equal("MEDS_DEATH", death.Code);
        Assert.Equal(new DateTime(2020, 5, 6, 23, 59, 59, 999).AddTicks(9990), death.Time);
        Assert.DoesNotContain("MEDS_DEATH", fixture.Map(encounter).Select(e => e.Code));
    }

    [Fact]
    public void Map_APatientMergedIntoAnother_IsOneSubject()
    {
        // An MPI merge: both charts are exported, and older resources still name the replaced one. They were two
        // subjects, each with its own static rows and half the timeline.
        var fixture = new MappingFixture()
            .Add(new FhirPatient { Id = "old16", Gender = "male", BirthDate = Day(1950, 1, 1), ReplacedBy = Ref("Patient/new16") })
            .Add(new FhirPatient { Id = "new16", Gender = "male", BirthDate = Day(1950, 1, 1) });
        var observation = new FhirObservation
        {
            Status = "final", Subject = Ref("Patient/old16"), Code = Concept("http://loinc.org", "2160-0"), Effective = At(2020, 1, 1, 8),
        };

        Assert.Empty(fixture.Map(new FhirPatient { Id = "old16", Gender = "male", BirthDate = Day(1950, 1, 1), ReplacedBy = Ref("Patient/new16") }));
        Assert.Equal([FhirMappingIssueCodes.MergedPatient], fixture.IssueCodes);
        var lab = Assert.Single(fixture.Map(observation));
        Assert.Equal(fixture.SubjectId("new16"), lab.SubjectId);
        Assert.All(fixture.Map(new FhirPatient { Id = "new16", Gender = "male", BirthDate = Day(1950, 1, 1) }),
            e => Assert.Equal(fixture.SubjectId("new16"), e.SubjectId));
    }

    [Fact]
    public void Map_ASurvivorThatSaysItReplacesAnother_MakesThemOneSubject()
    {
        // Some servers write a merge on the surviving chart only (link replaces): "consult it for additional information".
        var fixture = new MappingFixture()
            .Add(new FhirPatient { Id = "old17", Gender = "male", BirthDate = Day(1950, 1, 1) })
            .Add(new FhirPatient { Id = "new17", Gender = "male", BirthDate = Day(1950, 1, 1), Replaces = [Ref("Patient/old17")] });
        var observation = new FhirObservation
        {
            Status = "final", Subject = Ref("Patient/old17"), Code = Concept("http://loinc.org", "2160-0"), Effective = At(2020, 1, 1, 8),
        };

        Assert.Equal("new17", fixture.Index.Survivor("old17"));
        Assert.Equal(fixture.SubjectId("new17"), Assert.Single(fixture.Map(observation)).SubjectId);
        Assert.Empty(fixture.Map(new FhirPatient { Id = "old17", Gender = "male", BirthDate = Day(1950, 1, 1) }));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Map_AChartsOwnReplacedByWinsOverAnotherChartsReplaces_WhateverTheirOrder(bool survivorFirst)
    {
        // X was merged into Y (its own word); B keeps a stale "replaces X" (review s20-merges H1).
        FhirPatient x = new() { Id = "x18", ReplacedBy = Ref("Patient/y18") }, b = new() { Id = "b18", Replaces = [Ref("Patient/x18")] };
        var fixture = new MappingFixture();
        foreach (var patient in survivorFirst ? new[] { b, x } : [x, b])
            fixture.Add(patient);

        Assert.Equal("y18", fixture.Index.Survivor("x18"));
    }

    [Fact]
    public void Map_AMergeIntoAnotherServersChart_JoinsNobodyOfOurs()
    {
        // x was merged into an enterprise MPI's chart 77; our Patient 77 is another person (review s24-store H1). A link
        // counts on the linking Patient's own server only: relative, or absolute on the base of its fullUrl.
        const string own = "https://ehr.example/fhir";
        var fixture = new MappingFixture()
            .Add(new FhirPatient { Id = "x", ReplacedBy = Ref("https://mpi.other.example/fhir/Patient/77") }, own + "/Patient/x")
            .Add(new FhirPatient { Id = "77" }, own + "/Patient/77")
            .Add(new FhirPatient { Id = "y", Replaces = [Ref("https://mpi.other.example/fhir/Patient/x")] }, own + "/Patient/y")
            .Add(new FhirPatient { Id = "z", ReplacedBy = Ref(own + "/Patient/77/_history/2") }, own + "/Patient/z")
            .Add(new FhirPatient { Id = "n", ReplacedBy = Ref(own + "/Patient/77") }); // no fullUrl (NDJSON): cannot tell

        Assert.Equal("x", fixture.Index.Survivor("x"));
        Assert.Equal("77", fixture.Index.Survivor("z"));
        Assert.Equal("n", fixture.Index.Survivor("n"));
    }

    [Fact]
    public void Map_MergesThatFormACycle_StopAfterAFewSteps()
    {
        var fixture = new MappingFixture()
            .Add(new FhirPatient { Id = "a", ReplacedBy = Ref("Patient/b") })
            .Add(new FhirPatient { Id = "b", ReplacedBy = Ref("Patient/a") });

        Assert.Contains(fixture.Index.Survivor("a"), new[] { "a", "b" });
    }

    private static FhirEncounter DiedEncounter(string status, FhirPeriod period) => new()
    {
        Id = "e1",
        Status = status,
        Class = new FhirCoding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP"),
        Subject = Ref("Patient/p1"),
        Period = period,
        DischargeDisposition = Concept("http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-discharge-disposition", "DIED"),
    };

    [Fact]
    public void Map_PatientWithoutIdOrFullUrl_ReportsMissingSubject()
    {
        var fixture = new MappingFixture();
        Assert.Empty(fixture.Map(new FhirPatient { Gender = "male" }));
        Assert.Equal([FhirMappingIssueCodes.MissingSubject], fixture.IssueCodes);
    }

    [Fact]
    public void Map_PatientWithUrnFullUrlOnly_UsesUuidAsId()
    {
        var fixture = new MappingFixture();
        var events = fixture.Map(new FhirPatient { Gender = "male" }, "urn:uuid:abc");
        Assert.Equal(fixture.SubjectId("abc"), Assert.Single(events).SubjectId);
    }
}
