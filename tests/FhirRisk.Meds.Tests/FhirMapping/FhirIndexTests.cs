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
    public void ResolveEncounter_UrnInOtherScope_NotFound()
    {
        var fixture = new MappingFixture().Add(new FhirEncounter { Id = "e1", Subject = Ref("Patient/p") }, "urn:uuid:e1");
        Assert.NotNull(fixture.Index.ResolveEncounter(Ref("urn:uuid:e1"), Envelope("Condition")));
        Assert.Null(fixture.Index.ResolveEncounter(Ref("urn:uuid:e1"), Envelope("Condition", scope: "another bundle")));
    }
}
