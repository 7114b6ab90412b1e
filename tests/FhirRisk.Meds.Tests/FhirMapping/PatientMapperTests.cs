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
        fixture.Add(patient).Add(new FhirEncounter
        {
            Id = "e1",
            Subject = Ref("Patient/p1"),
            DischargeDisposition = Concept("http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-discharge-disposition", "DIED"),
        });
        Assert.Empty(fixture.Map(patient));
    }

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
