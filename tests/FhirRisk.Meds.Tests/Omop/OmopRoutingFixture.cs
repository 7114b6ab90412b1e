using FhirRisk.Fhir.Model;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Omop;

/// <summary>
/// A hand-written Athena download with standard concepts in several domains (ids and most codes are made up; only the
/// shape is Athena's), and resources whose codes exercise each routing case of docs/formats/omop.md "Domain routing".
/// Each resource's code doubles as its expected source value, so tests find rows by it.
/// </summary>
internal static class OmopRoutingFixture
{
    public const string RxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm";

    /// <summary>Non-standard SNOMED (1001) "Maps to" the Procedure-domain standard 2001.</summary>
    public const string ConditionAsProcedure = "100001";

    /// <summary>Standard LOINC (1002) in the Condition domain.</summary>
    public const string LabAsCondition = "100002-1";

    /// <summary>Standard SNOMED (1003) in the Measurement domain.</summary>
    public const string ProcedureAsMeasurement = "100003";

    /// <summary>Non-standard LOINC (1004) "Maps to" the RxNorm Drug-domain standard 2004 (<see cref="Drug"/>).</summary>
    public const string SurveyAsDrug = "100004-4";

    /// <summary>Standard SNOMED (1005) in the Observation domain.</summary>
    public const string ConditionAsObservation = "100005";

    /// <summary>Standard SNOMED (1006) in the "Meas Value" domain: no table of its own, so the resource's default.</summary>
    public const string ProcedureMeasValue = "100006";

    /// <summary>Non-standard SNOMED (1007) "Maps to" 3007, an OMOP Extension concept outside the kept vocabularies.</summary>
    public const string ProcedureToUnloadedTarget = "100007";

    /// <summary>Standard SNOMED (1008) in the Procedure domain, written on a MedicationRequest.</summary>
    public const string MedicationAsProcedure = "100008";

    /// <summary>Standard RxNorm (2004) in the Drug domain.</summary>
    public const string Drug = "200004";

    /// <summary>Standard LOINC (1010) in the Observation domain, a blood-pressure component next to 8480-6 (Measurement, 1011).</summary>
    public const string ComponentAsObservation = "100010-0";

    /// <summary>Non-standard SNOMED (1012) "Maps to" the Condition-domain standard 2012: a cause of death.</summary>
    public const string CauseOfDeath = "100012";

    private const string Concepts =
        "concept_id\tconcept_name\tdomain_id\tvocabulary_id\tconcept_class_id\tstandard_concept\tconcept_code\tvalid_start_date\tvalid_end_date\tinvalid_reason\n" +
        "1001\tHistory of appendectomy\tCondition\tSNOMED\tClinical Finding\t\t100001\t19700101\t20991231\t\n" +
        "2001\tAppendectomy\tProcedure\tSNOMED\tProcedure\tS\t200001\t19700101\t20991231\t\n" +
        "1002\tDiabetes screen positive\tCondition\tLOINC\tLab Test\tS\t100002-1\t19700101\t20991231\t\n" +
        "1003\tBody weight measured\tMeasurement\tSNOMED\tProcedure\tS\t100003\t19700101\t20991231\t\n" +
        "1004\tInsulin use reported\tObservation\tLOINC\tSurvey\t\t100004-4\t19700101\t20991231\t\n" +
        "2004\tInsulin glargine\tDrug\tRxNorm\tClinical Drug\tS\t200004\t19700101\t20991231\t\n" +
        "1005\tFamily history of diabetes\tObservation\tSNOMED\tContext-dependent\tS\t100005\t19700101\t20991231\t\n" +
        "1006\tPositive\tMeas Value\tSNOMED\tQualifier Value\tS\t100006\t19700101\t20991231\t\n" +
        "1007\tLocal procedure\tProcedure\tSNOMED\tProcedure\t\t100007\t19700101\t20991231\t\n" +
        "3007\tExtension condition\tCondition\tOMOP Extension\tClinical Finding\tS\tOMOP3007\t19700101\t20991231\t\n" +
        "1008\tOxygen therapy\tProcedure\tSNOMED\tProcedure\tS\t100008\t19700101\t20991231\t\n" +
        "1010\tCuff position\tObservation\tLOINC\tClinical Observation\tS\t100010-0\t19700101\t20991231\t\n" +
        "1011\tSystolic blood pressure\tMeasurement\tLOINC\tClinical Observation\tS\t8480-6\t19700101\t20991231\t\n" +
        "1012\tSudden cardiac death\tCondition\tSNOMED\tClinical Finding\t\t100012\t19700101\t20991231\t\n" +
        "2012\tCardiac arrest\tCondition\tSNOMED\tClinical Finding\tS\t200012\t19700101\t20991231\t\n" +
        "1013\tCause of death\tObservation\tLOINC\tClinical Observation\tS\t69453-9\t19700101\t20991231\t\n";

    private const string Relationships =
        "concept_id_1\tconcept_id_2\trelationship_id\tvalid_start_date\tvalid_end_date\tinvalid_reason\n" +
        "1001\t2001\tMaps to\t19700101\t20991231\t\n" +
        "1004\t2004\tMaps to\t19700101\t20991231\t\n" +
        "1007\t3007\tMaps to\t19700101\t20991231\t\n" +
        "1012\t2012\tMaps to\t19700101\t20991231\t\n";

    /// <summary>Writes CONCEPT.csv and CONCEPT_RELATIONSHIP.csv into <paramref name="folder"/> and returns it.</summary>
    public static string WriteVocabulary(TempDirectory folder)
    {
        File.WriteAllText(folder.File("CONCEPT.csv"), Concepts);
        File.WriteAllText(folder.File("CONCEPT_RELATIONSHIP.csv"), Relationships);
        return folder.Path;
    }

    /// <summary>One person with a visit and one resource per routing case, each in the visit.</summary>
    public static IReadOnlyList<FhirResource> Resources()
    {
        var patient = OmopFixture.Ref("Patient/p1");
        var visit = OmopFixture.Ref("Encounter/e1");
        return
        [
            OmopFixture.Patient(),
            new FhirEncounter
            {
                Id = "e1", Status = "finished", Class = new FhirCoding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP"),
                Subject = patient, Period = new FhirPeriod(OmopFixture.At(2020, 1, 1, 8), OmopFixture.At(2020, 1, 5, 12)),
            },
            new FhirCondition
            {
                Id = "c-proc", Subject = patient, Encounter = visit, Code = OmopFixture.Code(OmopFixture.Snomed, ConditionAsProcedure),
                Onset = OmopFixture.At(2020, 1, 2, 9), Abatement = OmopFixture.At(2020, 1, 3, 10),
                ClinicalStatus = OmopFixture.Code("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved"),
            },
            Observation("o-cond", LabAsCondition, "laboratory", Quantity(7.1, "%")),
            new FhirProcedure
            {
                Id = "pr-meas", Status = "completed", Subject = patient, Encounter = visit,
                Code = OmopFixture.Code(OmopFixture.Snomed, ProcedureAsMeasurement), Performed = OmopFixture.At(2020, 1, 2, 11, 30),
            },
            Observation("o-drug", SurveyAsDrug, "survey", new FhirValue(FhirValueKind.Boolean) { Boolean = true }),
            new FhirCondition
            {
                Id = "c-obs", Subject = patient, Encounter = visit, Code = OmopFixture.Code(OmopFixture.Snomed, ConditionAsObservation),
                RecordedDate = OmopFixture.At(2020, 1, 2),
            },
            Procedure("pr-value", ProcedureMeasValue),
            Procedure("pr-unloaded", ProcedureToUnloadedTarget),
            Medication("m-proc", OmopFixture.Code(OmopFixture.Snomed, MedicationAsProcedure)),
            Medication("m-drug", OmopFixture.Code(RxNorm, Drug)),
            new FhirObservation
            {
                Id = "o-bp", Status = "final", Subject = patient, Encounter = visit, Code = OmopFixture.Code(OmopFixture.Loinc, "85354-9"),
                Categories = [Category("vital-signs")], Effective = OmopFixture.At(2020, 1, 2, 10, 15),
                Components =
                [
                    new FhirObservationComponent(OmopFixture.Code(OmopFixture.Loinc, "8480-6"), Quantity(120, "mm[Hg]"), null),
                    new FhirObservationComponent(OmopFixture.Code(OmopFixture.Loinc, ComponentAsObservation), Quantity(1, "{position}"), null),
                ],
            },
            new FhirAllergyIntolerance { Id = "a-drug", Patient = patient, Code = OmopFixture.Code(RxNorm, Drug), Categories = ["medication"], RecordedDate = OmopFixture.At(2020, 1, 1) },
        ];

        FhirObservation Observation(string id, string code, string category, FhirValue value) => new()
        {
            Id = id, Status = "final", Subject = patient, Encounter = visit, Code = OmopFixture.Code(OmopFixture.Loinc, code),
            Categories = [Category(category)], Effective = OmopFixture.At(2020, 1, 2, 10), Value = value,
        };

        FhirProcedure Procedure(string id, string code) => new()
        {
            Id = id, Status = "completed", Subject = patient, Encounter = visit, Code = OmopFixture.Code(OmopFixture.Snomed, code),
            Performed = OmopFixture.At(2020, 1, 3, 9), PerformedEnd = OmopFixture.At(2020, 1, 3, 10),
        };

        FhirMedicationRequest Medication(string id, FhirCodeableConcept code) => new()
        {
            Id = id, Status = "active", Intent = "order", Subject = patient, Encounter = visit, Medication = new FhirMedicationChoice(code, null),
            Start = OmopFixture.At(2020, 1, 4, 8), DosageText = "once daily", Refills = 1,
        };
    }

    public static FhirCodeableConcept Category(string code) =>
        OmopFixture.Code("http://terminology.hl7.org/CodeSystem/observation-category", code);

    private static FhirValue Quantity(double value, string unit) =>
        new(FhirValueKind.Quantity) { Quantity = new FhirQuantity(value, unit, "http://unitsofmeasure.org", unit) };
}
