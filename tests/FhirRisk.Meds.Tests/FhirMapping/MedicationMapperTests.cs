using FhirRisk.Fhir.Model;
using FhirRisk.Meds.FhirMapping;
using static FhirRisk.Meds.Tests.FhirMapping.MappingFixture;

namespace FhirRisk.Meds.Tests.FhirMapping;

public sealed class MedicationMapperTests
{
    private const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";

    private static FhirMedicationChoice Drug(string code) => new(Concept(RxNorm, code), null);

    [Fact]
    public void Map_FourKinds_SameCodeDifferentTextValue()
    {
        var fixture = new MappingFixture().WithPatient();
        var time = At(2020, 1, 1, 9);
        FhirMedicationEvent[] resources =
        [
            new FhirMedicationRequest { Status = "active", Subject = Ref("Patient/p1"), Medication = Drug("860975"), Start = time },
            new FhirMedicationAdministration { Status = "completed", Subject = Ref("Patient/p1"), Medication = Drug("860975"), Start = time },
            new FhirMedicationDispense { Status = "completed", Subject = Ref("Patient/p1"), Medication = Drug("860975"), Start = time },
            new FhirMedicationStatement { Status = "active", Subject = Ref("Patient/p1"), Medication = Drug("860975"), Start = time },
        ];
        var events = resources.SelectMany(r => fixture.Map(r)).ToList();
        Assert.All(events, e => Assert.Equal("RXNORM//860975", e.Code));
        Assert.Equal(["requested", "administered", "dispensed", "statement"], events.Select(e => e.TextValue));
    }

    [Theory]
    [InlineData("cancelled")]
    [InlineData("entered-in-error")]
    [InlineData("draft")]
    public void Map_RequestDroppedStatus_NoEvent(string status)
    {
        var fixture = new MappingFixture().WithPatient();
        Assert.Empty(fixture.Map(new FhirMedicationRequest { Status = status, Subject = Ref("Patient/p1"), Medication = Drug("1"), Start = At(2020, 1, 1) }));
        Assert.Equal([FhirMappingIssueCodes.StatusDropped], fixture.IssueCodes);
    }

    [Theory]
    [InlineData("proposal")]
    [InlineData("plan")]
    [InlineData("option")]
    public void Map_RequestThatIsNotAnOrder_NoEvent(string intent)
    {
        var fixture = new MappingFixture().WithPatient();
        Assert.Empty(fixture.Map(new FhirMedicationRequest { Status = "active", Intent = intent, Subject = Ref("Patient/p1"), Medication = Drug("1"), Start = At(2020, 1, 1) }));
        Assert.Equal([FhirMappingIssueCodes.StatusDropped], fixture.IssueCodes);
    }

    [Fact]
    public void Map_RequestThatIsAnOrder_Requested()
    {
        var events = new MappingFixture().WithPatient()
            .Map(new FhirMedicationRequest { Status = "active", Intent = "order", Subject = Ref("Patient/p1"), Medication = Drug("1"), Start = At(2020, 1, 1) });
        Assert.Equal("requested", Assert.Single(events).TextValue);
    }

    [Fact]
    public void Map_RequestWithOnlyAnEnd_IsNotDatedByIt()
    {
        var fixture = new MappingFixture().WithPatient();
        Assert.Empty(fixture.Map(new FhirMedicationRequest { Status = "active", Subject = Ref("Patient/p1"), Medication = Drug("1"), End = At(2021, 1, 1) }));
        Assert.Equal([FhirMappingIssueCodes.NoTime], fixture.IssueCodes);
    }

    [Fact]
    public void Map_StatementIntended_NoEvent()
    {
        var fixture = new MappingFixture().WithPatient();
        Assert.Empty(fixture.Map(new FhirMedicationStatement { Status = "intended", Subject = Ref("Patient/p1"), Medication = Drug("1"), Start = At(2020, 1, 1) }));
    }

    [Theory]
    [InlineData("preparation", false)] // not yet dispensed (review s21-fhir L2)
    [InlineData("declined", false)]
    [InlineData("in-progress", true)]
    [InlineData("completed", true)]
    public void Map_DispenseStatus_DispensedOnlyOnceItIs(string status, bool mapped)
    {
        var fixture = new MappingFixture().WithPatient();
        var events = fixture.Map(new FhirMedicationDispense { Status = status, Subject = Ref("Patient/p1"), Medication = Drug("1"), Start = At(2020, 1, 1) });
        Assert.Equal(mapped ? 1 : 0, events.Count);
    }

    [Fact]
    public void Map_AdministrationNotDone_NoEvent()
    {
        var fixture = new MappingFixture().WithPatient();
        Assert.Empty(fixture.Map(new FhirMedicationAdministration { Status = "not-done", Subject = Ref("Patient/p1"), Medication = Drug("1"), Start = At(2020, 1, 1) }));
    }

    [Fact]
    public void Map_ContainedMedication_ResolvedFirst()
    {
        var fixture = new MappingFixture().WithPatient().Add(new FhirMedication { Id = "m1", Code = Concept(RxNorm, "999") });
        var request = new FhirMedicationRequest
        {
            Status = "active",
            Subject = Ref("Patient/p1"),
            Medication = new FhirMedicationChoice(null, Ref("#m1")),
            Start = At(2020, 1, 1),
            Contained = [new FhirMedication { Id = "m1", Code = Concept(RxNorm, "123") }],
        };
        Assert.Equal("RXNORM//123", Assert.Single(fixture.Map(request)).Code);
        Assert.Equal("RXNORM//999", Assert.Single(fixture.Map(request with { Medication = new FhirMedicationChoice(null, Ref("Medication/m1")) })).Code);
    }

    [Fact]
    public void Map_MedicationWithoutCode_OneEventPerIngredient()
    {
        var fixture = new MappingFixture().WithPatient().Add(new FhirMedication
        {
            Id = "mix",
            IngredientCodes = [Concept(RxNorm, "1"), Concept(RxNorm, "2")],
        });
        var request = new FhirMedicationAdministration { Status = "completed", Subject = Ref("Patient/p1"), Medication = new(null, Ref("Medication/mix")), Start = At(2020, 1, 1) };
        Assert.Equal(["RXNORM//1", "RXNORM//2"], fixture.Map(request).Select(e => e.Code));
    }

    [Fact]
    public void Map_MixWhoseIngredientsReferenceOtherMedications_OneEventPerReferencedCode()
    {
        // MIMIC-IV's mixes: no code of their own, ingredients as itemReference to coded Medications (and one that is not there).
        var fixture = new MappingFixture().WithPatient()
            .Add(new FhirMedication { Id = "meropenem", Code = Concept(RxNorm, "10") })
            .Add(new FhirMedication { Id = "saline", Code = Concept(RxNorm, "20") })
            .Add(new FhirMedication
            {
                Id = "mix",
                IngredientReferences = [Ref("Medication/meropenem"), Ref("Medication/saline"), Ref("Medication/absent")],
            });
        var request = new FhirMedicationRequest { Status = "active", Subject = Ref("Patient/p1"), Medication = new(null, Ref("Medication/mix")), Start = At(2020, 1, 1) };

        Assert.Equal(["RXNORM//10", "RXNORM//20"], fixture.Map(request).Select(e => e.Code));
        Assert.Empty(fixture.IssueCodes);
    }

    [Fact]
    public void Map_UnresolvedMedication_Warning()
    {
        var fixture = new MappingFixture().WithPatient();
        var request = new FhirMedicationRequest { Status = "active", Subject = Ref("Patient/p1"), Medication = new(null, Ref("Medication/none")), Start = At(2020, 1, 1) };
        Assert.Empty(fixture.Map(request));
        Assert.Equal([FhirMappingIssueCodes.UnresolvedMedication], fixture.IssueCodes);
    }
}
