using FhirRisk.Core;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;
using static FhirRisk.Meds.Tests.FhirMapping.MappingFixture;

namespace FhirRisk.Meds.Tests.FhirMapping;

public sealed class FhirIndexTests
{
    [Fact]
    public void ResolveSubject_UrnUuidWithinScope_ResolvesToPatientId()
    {
        var fixture = new MappingFixture().Add(new FhirPatient { Id = "p-42" }, "urn:uuid:1111");
        Assert.Equal(fixture.SubjectId("p-42"), fixture.Index.ResolveSubject(Ref("urn:uuid:1111"), Envelope("Observation")));
        Assert.Equal(fixture.SubjectId("p-42"), fixture.Index.ResolveSubject(Ref("Patient/p-42"), Envelope("Observation", scope: "other")));
        Assert.Equal(fixture.SubjectId("p-42"), fixture.Index.ResolveSubject(Ref("http://server/fhir/Patient/p-42/_history/3"), Envelope("Observation")));
    }

    [Fact]
    public void ResolveSubject_AbsoluteReferenceToAnotherServer_IsNotTheInputsPatientOfThatId()
    {
        // The input's Patient/1 came from ehr.example; other.example's Patient/1 is someone else.
        var fixture = new MappingFixture().Add(new FhirPatient { Id = "1" }, "https://ehr.example/fhir/Patient/1");
        var observation = Envelope("Observation", "https://ehr.example/fhir/Observation/9");

        Assert.Null(fixture.Index.ResolveSubject(Ref("https://other.example/fhir/Patient/1"), observation));
        Assert.Equal(fixture.SubjectId("1"), fixture.Index.ResolveSubject(Ref("HTTPS://EHR.example/fhir/Patient/1"), observation));
        Assert.Equal(fixture.SubjectId("1"), fixture.Index.ResolveSubject(Ref("Patient/1"), observation));
        Assert.Equal(fixture.SubjectId("1"), fixture.Index.ResolveSubject(Ref("Patient/1"), Envelope("Observation")));
    }

    [Fact]
    public void ResolveSubject_AbsoluteReferenceToAServerTheInputNeverNames_IsAnotherServersPatient()
    {
        var named = new MappingFixture().Add(new FhirLocation { Id = "w" }, "https://ehr.example/fhir/Location/w");
        var unnamed = new MappingFixture().Add(new FhirLocation { Id = "w" }, "urn:uuid:33333333-3333-3333-3333-333333333333");

        // Patient 7 is in neither input: an input that names its server reads another server's reference as foreign,
        // and one that names none (NDJSON, urn:uuid bundles) cannot tell, so keeps the hashed id (FHIRMAP003).
        Assert.Null(named.Index.ResolveSubject(Ref("https://other.example/fhir/Patient/7"), Envelope("Observation")));
        Assert.Equal(named.SubjectId("7"), named.Index.ResolveSubject(Ref("https://ehr.example/fhir/Patient/7"), Envelope("Observation")));
        Assert.Equal(unnamed.SubjectId("7"), unnamed.Index.ResolveSubject(Ref("https://other.example/fhir/Patient/7"), Envelope("Observation")));
    }

    [Fact]
    public void Map_SubjectOnAnotherServer_YieldsNoEventAndSaysWhy()
    {
        var fixture = new MappingFixture().Add(new FhirPatient { Id = "p1" }, "https://ehr.example/fhir/Patient/p1");
        var observation = new FhirObservation
        {
            Status = "final", Subject = Ref("https://other.example/fhir/Patient/p1"), Code = Concept("http://loinc.org", "2160-0"),
            Effective = At(2020, 3, 1, 6),
        };

        Assert.Empty(fixture.Map(observation, "https://ehr.example/fhir/Observation/o1"));
        Assert.Equal([FhirMappingIssueCodes.SubjectOnOtherServer], fixture.IssueCodes);
        // A relative reference is read on the input's own server, from an entry of any base: one service reached under two
        // names (http and https, an alias) gives two bases, and the patient's own results must not be dropped.
        Assert.Single(fixture.Map(observation with { Subject = Ref("Patient/p1") }, "https://ehr-alias.example/fhir/Observation/o2"));
        Assert.Single(fixture.Map(observation with { Subject = Ref("Patient/p1") }, "https://ehr.example/fhir/Observation/o3"));
    }

    [Fact]
    public void ResolveSubject_SubjectIdIsStableHashOfSourceAndId()
    {
        var index = new FhirIndex(new FhirMappingSettings { Source = "mimic" });
        Assert.Equal(StableHash.Of63("mimic|Patient/abc"), index.ResolveSubject(Ref("Patient/abc"), Envelope("Condition")));
    }

    [Fact]
    public void ResolveSubject_GroupReference_IsNull()
    {
        Assert.Null(new FhirIndex().ResolveSubject(Ref("Group/g1"), Envelope("Observation")));
        Assert.Null(new FhirIndex().ResolveSubject(null, Envelope("Observation")));
    }

    [Fact]
    public void SubjectMap_SortedBySubjectId_DuplicatesOnce()
    {
        var fixture = new MappingFixture().Add(new FhirPatient { Id = "a" }).Add(new FhirPatient { Id = "b" }).Add(new FhirPatient { Id = "a" });
        var map = fixture.Index.SubjectMap;
        Assert.Equal(2, map.Count);
        Assert.True(map[0].SubjectId < map[1].SubjectId);
        Assert.All(map, row => Assert.Equal(fixture.SubjectId(row.PatientId), row.SubjectId));
        Assert.All(map, row => Assert.Equal("test", row.Source));
        Assert.Empty(fixture.Index.Collisions);
    }

    [Fact]
    public void IsIcuLocation_ByNameOrType()
    {
        var fixture = new MappingFixture()
            .Add(new FhirLocation { Id = "a", Name = "Trauma SICU (TSICU)" })
            .Add(new FhirLocation { Id = "b", Name = "Med/Surg" })
            .Add(new FhirLocation { Id = "c", Name = "Unit 7", Types = [Concept("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "ICU")] });
        Assert.True(fixture.Index.IsIcuLocation(Ref("Location/a")));
        Assert.False(fixture.Index.IsIcuLocation(Ref("Location/b")));
        Assert.True(fixture.Index.IsIcuLocation(Ref("Location/c")));
        Assert.False(fixture.Index.IsIcuLocation(Ref("Location/missing")));
    }

    [Fact]
    public void IsIcuLocation_ByTheBundlesFullUrl_AsATransactionBundleReferencesIt()
    {
        // Synthea and most client-built bundles reference Locations by urn:uuid: the ICU sub-encounter was read as a
        // second hospital stay.
        const string urn = "urn:uuid:22222222-2222-2222-2222-222222222222";
        var fixture = new MappingFixture().WithPatient()
            .Add(new FhirLocation { Name = "Medical Intensive Care Unit (MICU)" }, fullUrl: urn);
        var child = new FhirEncounter
        {
            Id = "i1", Status = "finished", Class = new FhirCoding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP"),
            Subject = Ref("Patient/p1"), PartOf = Ref("Encounter/h1"), Period = new FhirPeriod(At(2021, 1, 1, 10), At(2021, 1, 2, 10)),
            Locations = [new FhirEncounterLocation(Ref(urn), null, null)],
        };

        Assert.True(fixture.Index.IsIcuLocation(Ref(urn), Scope));
        Assert.Equal(["ICU_ADMISSION//Medical Intensive Care Unit (MICU)", "ICU_DISCHARGE"], fixture.Add(child).Map(child).Select(e => e.Code));
    }

    [Theory]
    [InlineData("371828006", "Patient deceased during stay (discharge status = dead)", null, true)]
    [InlineData("X7", "Deceased", null, true)]
    [InlineData("X8", null, "dead on discharge", true)]
    [InlineData("home", "Discharged home", null, false)]
    [InlineData("X9", "Deadline extended", null, false)]
    public void IsDeathDisposition_ReadsDeceasedAndDeadAsWholeWords(string code, string? display, string? text, bool died) =>
        Assert.Equal(died, FhirIndex.IsDeathDisposition(new FhirCodeableConcept([new FhirCoding("http://snomed.info/sct", code, display)], text)));

    [Fact]
    public void ResolveEncounter_UrnInOtherScope_NotFound()
    {
        var fixture = new MappingFixture().Add(new FhirEncounter { Id = "e1", Subject = Ref("Patient/p") }, "urn:uuid:e1");
        Assert.NotNull(fixture.Index.ResolveEncounter(Ref("urn:uuid:e1"), Envelope("Condition")));
        Assert.Null(fixture.Index.ResolveEncounter(Ref("urn:uuid:e1"), Envelope("Condition", scope: "another bundle")));
    }
}
