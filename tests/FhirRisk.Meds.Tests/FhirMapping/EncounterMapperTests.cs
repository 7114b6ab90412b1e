using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;
using static FhirRisk.Meds.Tests.FhirMapping.MappingFixture;

namespace FhirRisk.Meds.Tests.FhirMapping;

public sealed class EncounterMapperTests
{
    private const string ActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
    private const string MimicDisposition = "http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-discharge-disposition";

    private static FhirEncounter Encounter(string id, string classCode, FhirPeriod? period = null) => new()
    {
        Id = id,
        Status = "finished",
        Class = new FhirCoding(ActCode, classCode),
        Subject = Ref("Patient/p1"),
        Period = period ?? new FhirPeriod(At(2020, 1, 1, 8), At(2020, 1, 5, 12)),
    };

    private static string[] Codes(IEnumerable<MedsEvent> events) => events.Select(e => e.Code).ToArray();

    [Fact]
    public void Map_Inpatient_AdmissionAndDischargeWithDisposition()
    {
        var fixture = new MappingFixture().WithPatient();
        var encounter = Encounter("e1", "IMP") with { DischargeDisposition = Concept("http://terminology.hl7.org/CodeSystem/discharge-disposition", "home") };
        var events = fixture.Add(encounter).Map(encounter);
        Assert.Equal(["HOSPITAL_ADMISSION//IMP", "HOSPITAL_DISCHARGE//home"], Codes(events));
        Assert.Equal(new DateTime(2020, 1, 1, 8, 0, 0), events[0].Time);
        Assert.Equal(new DateTime(2020, 1, 5, 12, 0, 0), events[1].Time);
        Assert.All(events, e => Assert.Equal(fixture.EncounterId("e1"), e.EncounterId));
        Assert.Empty(fixture.Issues);
    }

    [Fact]
    public void Map_InpatientWithoutDisposition_DischargeUnknown()
    {
        var events = new MappingFixture().WithPatient().Map(Encounter("e1", "ACUTE"));
        Assert.Equal(["HOSPITAL_ADMISSION//ACUTE", "HOSPITAL_DISCHARGE//UNKNOWN"], Codes(events));
    }

    [Fact]
    public void Map_DiedDisposition_AddsDeathAtDischarge()
    {
        var fixture = new MappingFixture().WithPatient();
        var encounter = Encounter("e1", "IMP") with { DischargeDisposition = Concept(MimicDisposition, "DIED") };
        var events = fixture.Add(encounter).Map(encounter);
        Assert.Equal(["HOSPITAL_ADMISSION//IMP", "HOSPITAL_DISCHARGE//DIED", "MEDS_DEATH"], Codes(events));
        Assert.Equal(events[1].Time, events[2].Time);
    }

    [Fact]
    public void Map_DiedDispositionButPatientDeathHasTime_NoSecondDeath()
    {
        var fixture = new MappingFixture().Add(new FhirPatient { Id = "p1", DeceasedDateTime = At(2020, 1, 5, 11) });
        var encounter = Encounter("e1", "IMP") with { DischargeDisposition = Concept("http://example.org", "exp") };
        Assert.DoesNotContain("MEDS_DEATH", Codes(fixture.Add(encounter).Map(encounter)));
    }

    [Theory]
    [InlineData("41", "Expired in a medical facility", "HOSPITAL_DISCHARGE//41")]
    [InlineData("expired", null, "HOSPITAL_DISCHARGE//DIED")]
    [InlineData("EXP", null, "HOSPITAL_DISCHARGE//DIED")]
    [InlineData("X9", "Expired", "HOSPITAL_DISCHARGE//DIED")]
    [InlineData("exp", null, "HOSPITAL_DISCHARGE//exp")]
    [InlineData("home", null, "HOSPITAL_DISCHARGE//home")]
    public void Map_DeathDisposition_WrittenAsACodeTheTasksReadAsDeath(string code, string? display, string expected)
    {
        // The Patient's timed death takes the place of the discharge's MEDS_DEATH, so the discharge code alone must say it.
        var fixture = new MappingFixture().Add(new FhirPatient { Id = "p1", DeceasedDateTime = At(2020, 1, 5, 16) });
        var disposition = new FhirCodeableConcept([new FhirCoding("http://example.org/disposition", code, display)], null);
        var encounter = Encounter("e1", "IMP") with { DischargeDisposition = disposition };

        var discharge = Codes(fixture.Add(encounter).Map(encounter)).Single(c => c.StartsWith("HOSPITAL_DISCHARGE", StringComparison.Ordinal));

        Assert.Equal(expected, discharge);
        Assert.Equal(code != "home", Tasks.TaskCodes.Death.Contains(discharge));
    }

    [Fact]
    public void Map_MimicIcuSubEncounter_IcuEventsWithUnitFromLocation()
    {
        var fixture = new MappingFixture().WithPatient()
            .Add(new FhirLocation { Id = "L1", Name = "Medical Intensive Care Unit (MICU)" });
        var hospital = Encounter("h1", "EMER") with { Identifiers = [new FhirIdentifier("http://mimic.mit.edu/fhir/mimic/identifier/encounter-hosp", "1")] };
        var icu = Encounter("i1", "ACUTE") with
        {
            PartOf = Ref("Encounter/h1"),
            Identifiers = [new FhirIdentifier("http://mimic.mit.edu/fhir/mimic/identifier/encounter-icu", "2")],
            Locations = [new FhirEncounterLocation(Ref("Location/L1"), null, null)],
        };
        fixture.Add(hospital).Add(icu);
        Assert.Equal(["HOSPITAL_ADMISSION//EMER", "HOSPITAL_DISCHARGE//UNKNOWN"], Codes(fixture.Map(hospital)));
        Assert.Equal(["ICU_ADMISSION//Medical Intensive Care Unit (MICU)", "ICU_DISCHARGE"], Codes(fixture.Map(icu)));
        var info = fixture.Index.ResolveEncounter(Ref("Encounter/i1"), Envelope("Condition"));
        Assert.Equal(fixture.EncounterId("h1"), info!.ParentEncounterId);
        Assert.False(info.IsInpatient);
    }

    [Fact]
    public void Map_SubEncounterAllLocationsIcu_IsIcu()
    {
        var fixture = new MappingFixture().WithPatient().Add(new FhirLocation { Id = "L1", Name = "Cardiac Vascular Intensive Care Unit (CVICU)" });
        var icu = Encounter("i1", "IMP") with { PartOf = Ref("Encounter/h1"), Locations = [new FhirEncounterLocation(Ref("Location/L1"), null, null)] };
        Assert.Equal(["ICU_ADMISSION//Cardiac Vascular Intensive Care Unit (CVICU)", "ICU_DISCHARGE"], Codes(fixture.Add(icu).Map(icu)));
    }

    [Fact]
    public void Map_WardLegsOfAHospitalStay_AreNotStaysOfTheirOwn()
    {
        // Two inpatient sub-encounters (partOf) of one 9-day stay: as stays of their own they gave three admissions for
        // one stay and read the transfer between them as a discharge and a readmission.
        var fixture = new MappingFixture().WithPatient();
        var stay = Encounter("e1", "IMP", new FhirPeriod(At(2020, 1, 1, 10), At(2020, 1, 10, 10)))
            with { DischargeDisposition = Concept("http://terminology.hl7.org/CodeSystem/discharge-disposition", "home") };
        var wardA = Encounter("w1", "IMP", new FhirPeriod(At(2020, 1, 1, 10), At(2020, 1, 4, 10))) with { PartOf = Ref("Encounter/e1") };
        var wardB = Encounter("w2", "IMP", new FhirPeriod(At(2020, 1, 4, 10), At(2020, 1, 10, 10))) with { PartOf = Ref("Encounter/e1") };
        fixture.Add(stay).Add(wardA).Add(wardB);

        Assert.Equal(["HOSPITAL_ADMISSION//IMP", "HOSPITAL_DISCHARGE//home"], Codes(fixture.Map(stay)));
        Assert.Empty(fixture.Map(wardA));
        Assert.Empty(fixture.Map(wardB));
        var info = fixture.Index.ResolveEncounter(Ref("Encounter/w1"), Envelope("Observation"));
        Assert.True(info!.IsPartOfStay);
        Assert.False(info.IsInpatient);
        Assert.Equal(fixture.EncounterId("e1"), info.ParentEncounterId);
    }

    [Fact]
    public void Map_InpatientSubEncounterWhoseParentIsNotInTheData_StaysAStay()
    {
        var child = Encounter("w1", "IMP") with { PartOf = Ref("Encounter/missing") };
        Assert.Equal(["HOSPITAL_ADMISSION//IMP", "HOSPITAL_DISCHARGE//UNKNOWN"], Codes(new MappingFixture().WithPatient().Map(child)));
    }

    [Fact]
    public void Map_InpatientSubEncounterOfAnAmbulatoryVisit_StaysAStay()
    {
        var fixture = new MappingFixture().WithPatient();
        var visit = Encounter("v1", "AMB");
        var child = Encounter("w1", "IMP") with { PartOf = Ref("Encounter/v1") };
        fixture.Add(visit).Add(child);
        Assert.Equal(["HOSPITAL_ADMISSION//IMP", "HOSPITAL_DISCHARGE//UNKNOWN"], Codes(fixture.Map(child)));
    }

    [Fact]
    public void Map_TopLevelInpatientTypedIcu_EmitsHospitalAndIcu()
    {
        var encounter = Encounter("e1", "IMP") with { Types = [Concept("http://snomed.info/sct", "305351004", "Admission to intensive care unit (procedure)")] };
        var events = new MappingFixture().WithPatient().Map(encounter);
        Assert.Equal(["HOSPITAL_ADMISSION//IMP", "HOSPITAL_DISCHARGE//UNKNOWN", "ICU_ADMISSION//UNKNOWN", "ICU_DISCHARGE"], Codes(events));
    }

    [Fact]
    public void Map_Emergency_RegistrationAndOut()
    {
        Assert.Equal(["ED_REGISTRATION", "ED_OUT"], Codes(new MappingFixture().WithPatient().Map(Encounter("e1", "EMER"))));
    }

    [Fact]
    public void Map_Ambulatory_VisitAtStart()
    {
        var events = new MappingFixture().WithPatient().Map(Encounter("e1", "AMB"));
        var visit = Assert.Single(events);
        Assert.Equal("VISIT//AMB", visit.Code);
        Assert.Equal(new DateTime(2020, 1, 1, 8, 0, 0), visit.Time);
    }

    [Fact]
    public void Map_DateOnlyEnd_DischargeAtEndOfDay()
    {
        var events = new MappingFixture().WithPatient().Map(Encounter("e1", "IMP", new FhirPeriod(Day(2020, 1, 1), Day(2020, 1, 3))));
        Assert.Equal(new DateTime(2020, 1, 1), events[0].Time);
        Assert.Equal(new DateTime(2020, 1, 4).AddTicks(-10), events[1].Time);
    }

    [Theory]
    [InlineData("entered-in-error")]
    [InlineData("cancelled")]
    [InlineData("planned")]
    public void Map_DroppedStatus_NoEventsAndStatusIssue(string status)
    {
        var fixture = new MappingFixture().WithPatient();
        Assert.Empty(fixture.Map(Encounter("e1", "IMP") with { Status = status }));
        Assert.Equal([FhirMappingIssueCodes.StatusDropped], fixture.IssueCodes);
    }

    [Fact]
    public void Map_NoPeriod_ReportsIssue()
    {
        var fixture = new MappingFixture().WithPatient();
        Assert.Empty(fixture.Map(Encounter("e1", "IMP") with { Period = null }));
        Assert.Equal([FhirMappingIssueCodes.EncounterWithoutPeriod], fixture.IssueCodes);
    }
}
