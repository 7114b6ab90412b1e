using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;
using static FhirRisk.Meds.Tests.FhirMapping.MappingFixture;

namespace FhirRisk.Meds.Tests.FhirMapping;

public sealed class ObservationMapperTests
{
    private const string Loinc = "http://loinc.org";
    private const string Ucum = "http://unitsofmeasure.org";

    private static FhirObservation Observation(FhirValue? value, string code = "2160-0") => new()
    {
        Status = "final",
        Subject = Ref("Patient/p1"),
        Code = Concept(Loinc, code),
        Effective = At(2020, 3, 1, 6),
        Value = value,
    };

    private static MedsEvent MapSingle(FhirObservation observation, MappingFixture? fixture = null) =>
        Assert.Single((fixture ?? new MappingFixture().WithPatient()).Map(observation));

    [Fact]
    public void Map_Quantity_NumericWithUnitInCode()
    {
        var e = MapSingle(Observation(new FhirValue(FhirValueKind.Quantity) { Quantity = new FhirQuantity(1.2, "mg/dL", Ucum, "mg/dL") }));
        Assert.Equal(("LOINC//2160-0//mg/dL", 1.2f, (string?)null), (e.Code, e.NumericValue!.Value, e.TextValue));
        Assert.Equal(new DateTime(2020, 3, 1, 6, 0, 0), e.Time);
    }

    [Fact]
    public void Map_QuantityWithComparator_ComparatorAsText()
    {
        var e = MapSingle(Observation(new FhirValue(FhirValueKind.Quantity) { Quantity = new FhirQuantity(0.5, "mg/dL", Ucum, "mg/dL", "<") }));
        Assert.Equal(("<", 0.5f), (e.TextValue, e.NumericValue!.Value));
    }

    [Fact]
    public void Map_QuantityUnknownUnit_KeepsTextAndReportsInformation()
    {
        var fixture = new MappingFixture().WithPatient();
        var e = MapSingle(Observation(new FhirValue(FhirValueKind.Quantity) { Quantity = new FhirQuantity(3, "puffs", null, null) }), fixture);
        Assert.Equal("LOINC//2160-0//puffs", e.Code);
        Assert.Equal([FhirMappingIssueCodes.UnitNotNormalized], fixture.IssueCodes);
    }

    [Theory]
    [InlineData(1e308)]
    [InlineData(double.NaN)]
    public void Map_AbsurdNumber_NoNumericAndWarning(double value)
    {
        var fixture = new MappingFixture().WithPatient();
        var e = MapSingle(Observation(new FhirValue(FhirValueKind.Quantity) { Quantity = new FhirQuantity(value, "mg/dL", Ucum, "mg/dL") }), fixture);
        Assert.Null(e.NumericValue);
        Assert.Equal([FhirMappingIssueCodes.ValueOutOfRange], fixture.IssueCodes);
    }

    [Fact]
    public void Map_CodeableConceptValue_TextIsCode()
    {
        var e = MapSingle(Observation(new FhirValue(FhirValueKind.CodeableConcept) { CodeableConcept = Concept("http://snomed.info/sct", "10828004") }));
        Assert.Equal(("LOINC//2160-0", "SNOMED//10828004"), (e.Code, e.TextValue));
    }

    [Fact]
    public void Map_StringBooleanInteger_ValuesAsDocumented()
    {
        Assert.Equal("POSITIVE", MapSingle(Observation(new FhirValue(FhirValueKind.String) { Text = "POSITIVE" })).TextValue);
        Assert.Equal("false", MapSingle(Observation(new FhirValue(FhirValueKind.Boolean) { Boolean = false })).TextValue);
        Assert.Equal(7f, MapSingle(Observation(new FhirValue(FhirValueKind.Integer) { Number = 7 })).NumericValue);
    }

    [Fact]
    public void Map_DateTimeValue_IsoUtcText()
    {
        var e = MapSingle(Observation(new FhirValue(FhirValueKind.DateTime) { DateTime = At(2020, 3, 1, 4) }));
        Assert.Equal("2020-03-01T04:00:00Z", e.TextValue);
    }

    [Fact]
    public void Map_NoValue_CodeOnlyEvent()
    {
        var e = MapSingle(Observation(null) with { DataAbsentReason = Concept("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown") });
        Assert.Equal(("LOINC//2160-0", (float?)null, (string?)null), (e.Code, e.NumericValue, e.TextValue));
    }

    [Fact]
    public void Map_PanelWithComponents_OneEventPerComponentOnly()
    {
        var mmHg = new FhirQuantity(120, "mm[Hg]", Ucum, "mm[Hg]");
        var observation = Observation(null, "85354-9") with
        {
            Components =
            [
                new FhirObservationComponent(Concept(Loinc, "8480-6"), new FhirValue(FhirValueKind.Quantity) { Quantity = mmHg }, null),
                new FhirObservationComponent(Concept(Loinc, "8462-4"), new FhirValue(FhirValueKind.Quantity) { Quantity = mmHg with { Value = 80 } }, null),
            ],
        };
        var events = new MappingFixture().WithPatient().Map(observation);
        Assert.Equal(["LOINC//8480-6//mm[Hg]", "LOINC//8462-4//mm[Hg]"], events.Select(e => e.Code));
        Assert.Equal([120f, 80f], events.Select(e => e.NumericValue!.Value));
    }

    [Fact]
    public void Map_NotPerformed_NoEventAndAnIssue()
    {
        // A measurement that was not made must not read as a finding that was (the same event as a coded result).
        var fixture = new MappingFixture().WithPatient();
        var observation = Observation(null) with { DataAbsentReason = Concept("http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed") };
        Assert.Empty(fixture.Map(observation));
        Assert.Equal([FhirMappingIssueCodes.ValueAbsent], fixture.IssueCodes);
    }

    [Fact]
    public void Map_AUnitWithNoNumberAndADataAbsentReason_IsNoValue()
    {
        // R4 obs-6: a dataAbsentReason means no value. A Quantity that carries only its unit measured nothing (review
        // s21-fhir M4: it made an event). A component likewise; one with a number stays.
        var fixture = new MappingFixture().WithPatient();
        var error = Concept("http://terminology.hl7.org/CodeSystem/data-absent-reason", "error");
        var unitOnly = new FhirValue(FhirValueKind.Quantity) { Quantity = new FhirQuantity(null, "mg/dL", Ucum, "mg/dL") };
        var observation = Observation(null) with
        {
            Value = unitOnly,
            DataAbsentReason = error,
            Components = [new FhirObservationComponent(Concept(Loinc, "8462-4"), new FhirValue(FhirValueKind.Range) { Low = new FhirQuantity(null, "mm[Hg]", Ucum, "mm[Hg]") }, error)],
        };

        Assert.Empty(fixture.Map(observation));
        Assert.Equal([FhirMappingIssueCodes.ValueAbsent, FhirMappingIssueCodes.ValueAbsent], fixture.IssueCodes);
    }

    [Fact]
    public void Map_PanelWithAComponentNotObtained_OnlyTheMeasuredComponent()
    {
        // The HL7 example Observation-blood-pressure-dar: systolic measured, diastolic "error".
        var fixture = new MappingFixture().WithPatient();
        var observation = Observation(null, "85354-9") with
        {
            Components =
            [
                new FhirObservationComponent(Concept(Loinc, "8480-6"), new FhirValue(FhirValueKind.Quantity) { Quantity = new FhirQuantity(107, "mm[Hg]", Ucum, "mm[Hg]") }, null),
                new FhirObservationComponent(Concept(Loinc, "8462-4"), null, Concept("http://terminology.hl7.org/CodeSystem/data-absent-reason", "error")),
            ],
        };
        Assert.Equal(["LOINC//8480-6//mm[Hg]"], fixture.Map(observation).Select(e => e.Code));
        Assert.Equal([FhirMappingIssueCodes.ValueAbsent], fixture.IssueCodes);
    }

    [Theory]
    [InlineData("entered-in-error")]
    [InlineData("cancelled")]
    [InlineData("registered")]
    public void Map_DroppedStatus_NoEvent(string status)
    {
        var fixture = new MappingFixture().WithPatient();
        Assert.Empty(fixture.Map(Observation(null) with { Status = status }));
        Assert.Equal([FhirMappingIssueCodes.StatusDropped], fixture.IssueCodes);
    }

    [Fact]
    public void Map_NoEffective_UsesIssuedElseNoTime()
    {
        var fixture = new MappingFixture().WithPatient();
        Assert.Equal(new DateTime(2020, 4, 4, 4, 0, 0), MapSingle(Observation(null) with { Effective = null, Issued = At(2020, 4, 4, 4) }, fixture).Time);
        Assert.Empty(fixture.Map(Observation(null) with { Effective = null }));
        Assert.Equal([FhirMappingIssueCodes.NoTime], fixture.IssueCodes);
    }

    [Fact]
    public void Map_PeriodWithOnlyAnEnd_TimedAtTheEndBeforeIssued()
    {
        var fixture = new MappingFixture().WithPatient();
        var observation = Observation(null) with { Effective = null, EffectiveEnd = At(2020, 4, 2, 8), Issued = At(2020, 4, 4, 4) };
        Assert.Equal(new DateTime(2020, 4, 2, 8, 0, 0), MapSingle(observation, fixture).Time);
        Assert.Equal(new DateTime(2020, 4, 2, 8, 0, 0), MapSingle(observation with { Issued = null }, fixture).Time);
        Assert.Empty(fixture.IssueCodes);
    }
}
