using FhirRisk.Fhir.Model;
using FhirRisk.Meds.Omop;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Omop;

/// <summary>
/// death.cause_*: from a LOINC 69453-9 "Cause of death" Observation's coded value (as Synthea writes it), else from a
/// Condition categorised SNOMED 16100001 "Death diagnosis"; standard concept via "Maps to".
/// </summary>
public sealed class OmopDeathCauseTests
{
    private const string DeathDiagnosis = "16100001";

    [Fact]
    public void Complete_CauseOfDeathObservation_CauseColumnsWithStandardConcept()
    {
        using var temp = new TempDirectory();
        using var vocabulary = new TempDirectory();
        var settings = new OmopExporterSettings(temp.Path) { WriteParquet = false, VocabularyFolder = OmopRoutingFixture.WriteVocabulary(vocabulary) };

        OmopFixture.Export(settings, Resources());

        var deaths = OmopFixture.ReadRows(temp.File("death.csv"));
        var p1 = deaths.Single(d => d["person_id"] == Person("p1"));
        Assert.Equal(["2021-03-01", "2012", OmopRoutingFixture.CauseOfDeath, "1012"],
            [p1["death_date"], p1["cause_concept_id"], p1["cause_source_value"], p1["cause_source_concept_id"]]);
        // The certificate is still an observation of its own.
        var certificate = Assert.Single(OmopFixture.ReadRows(temp.File("observation.csv")), o => o["person_id"] == Person("p1"));
        Assert.Equal(["1013", "69453-9", "100012"], [certificate["observation_concept_id"], certificate["observation_source_value"], certificate["value_source_value"]]);
    }

    [Fact]
    public void Complete_WithoutVocabulary_SourceValueAndZeroConcepts()
    {
        using var temp = new TempDirectory();
        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, Resources());

        var deaths = OmopFixture.ReadRows(temp.File("death.csv"));
        // p3 has a certificate but no deceasedDateTime: without a death date there is no death row.
        Assert.Equal(new[] { Person("p1"), Person("p2") }.OrderBy(long.Parse), deaths.Select(d => d["person_id"]));
        var p1 = deaths.Single(d => d["person_id"] == Person("p1"));
        Assert.Equal(["0", OmopRoutingFixture.CauseOfDeath, "0"], [p1["cause_concept_id"], p1["cause_source_value"], p1["cause_source_concept_id"]]);
        // p2 has only death-diagnosis Conditions: the earliest names the cause.
        var p2 = deaths.Single(d => d["person_id"] == Person("p2"));
        Assert.Equal(["0", "53741008", "0"], [p2["cause_concept_id"], p2["cause_source_value"], p2["cause_source_concept_id"]]);
    }

    private static IEnumerable<FhirResource> Resources() =>
    [
        OmopFixture.Patient("p1"),
        OmopFixture.Patient("p2"),
        OmopFixture.Patient("p3") with { DeceasedDateTime = null },
        // p1: a death diagnosis first, then the certificate, which wins whatever the order.
        Diagnosis("p1", "22298006", OmopFixture.At(2021, 2, 1)),
        Certificate("p1"),
        Diagnosis("p2", "44054006", OmopFixture.At(2020, 5, 1)),
        Diagnosis("p2", "53741008", OmopFixture.At(2019, 5, 1)),
        Certificate("p3"),
    ];

    private static FhirObservation Certificate(string patient) => new()
    {
        Id = "cod-" + patient, Status = "final", Subject = OmopFixture.Ref("Patient/" + patient), Code = OmopFixture.Code(OmopFixture.Loinc, "69453-9"),
        Categories = [OmopRoutingFixture.Category("exam")], Effective = OmopFixture.At(2021, 3, 10, 9),
        Value = new FhirValue(FhirValueKind.CodeableConcept) { CodeableConcept = OmopFixture.Code(OmopFixture.Snomed, OmopRoutingFixture.CauseOfDeath) },
    };

    private static FhirCondition Diagnosis(string patient, string code, FhirDateTime onset) => new()
    {
        Id = $"dx-{patient}-{code}", Subject = OmopFixture.Ref("Patient/" + patient), Code = OmopFixture.Code(OmopFixture.Snomed, code),
        Categories = [OmopFixture.Code(OmopFixture.Snomed, DeathDiagnosis, "Death diagnosis")], Onset = onset,
    };

    private static string Person(string patient) => HashingIdResolver.Id("Patient/" + patient).ToString();
}
