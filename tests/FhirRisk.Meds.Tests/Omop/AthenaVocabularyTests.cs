using FhirRisk.Fhir.Model;
using FhirRisk.Meds.Omop;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Omop;

/// <summary>A tiny Athena download (tab-separated, header rows) mapping codes to standard concepts via "Maps to".</summary>
public sealed class AthenaVocabularyTests
{
    private const string Concepts =
        "concept_id\tconcept_name\tdomain_id\tvocabulary_id\tconcept_class_id\tstandard_concept\tconcept_code\tvalid_start_date\tvalid_end_date\tinvalid_reason\n" +
        "201826\tType 2 diabetes mellitus\tCondition\tSNOMED\tClinical Finding\tS\t44054006\t19700101\t20991231\t\n" +
        "45576876\tType 2 diabetes mellitus\tCondition\tICD10CM\t5-char billing code\t\tE11.9\t19700101\t20991231\t\n" +
        "3004410\tHemoglobin A1c\tMeasurement\tLOINC\tLab Test\tS\t4548-4\t19700101\t20991231\t\n" +
        "8840\tmilligram per deciliter\tUnit\tUCUM\tUnit\tS\tmg/dL\t19700101\t20991231\t\n" +
        "999\tSomething local\tObservation\tLocalVocab\tOther\tS\t44054006\t19700101\t20991231\t\n";

    private const string Relationships =
        "concept_id_1\tconcept_id_2\trelationship_id\tvalid_start_date\tvalid_end_date\tinvalid_reason\n" +
        "45576876\t201826\tMaps to\t19700101\t20991231\t\n" +
        "45576876\t100\tMaps to\t19700101\t20991231\tD\n" +
        "45576876\t201827\tIs a\t19700101\t20991231\t\n";

    [Fact]
    public void Load_TinyDownload_MapsSourceToStandard()
    {
        var vocabulary = Load();

        Assert.Equal(4, vocabulary.ConceptCount);
        Assert.Equal(45576876, vocabulary.SourceConceptId("ICD10CM", "E11.9"));
        Assert.Equal(201826, vocabulary.StandardConceptId(45576876));
        Assert.Equal(201826, vocabulary.StandardConceptId(201826));
        Assert.Null(vocabulary.SourceConceptId("LocalVocab", "44054006"));
        Assert.Null(vocabulary.SourceConceptId("SNOMED", "0000"));
    }

    [Fact]
    public void Load_MissingColumn_ActionableError()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            AthenaVocabulary.Load(new StringReader("concept_id\tvocabulary_id\n"), new StringReader(Relationships)));
        Assert.Contains("concept_code", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_WithVocabularyFolder_ConditionAndMeasurementConceptsFilled()
    {
        using var vocabularyFolder = new TempDirectory();
        File.WriteAllText(vocabularyFolder.File("CONCEPT.csv"), Concepts);
        File.WriteAllText(vocabularyFolder.File("CONCEPT_RELATIONSHIP.csv"), Relationships);
        using var temp = new TempDirectory();
        FhirResource[] resources =
        [
            new FhirCondition
            {
                Id = "c1", Subject = OmopFixture.Ref("Patient/p1"), Onset = OmopFixture.At(2020, 1, 1),
                Code = new FhirCodeableConcept([new FhirCoding(OmopFixture.Snomed, "44054006"), new FhirCoding("http://hl7.org/fhir/sid/icd-10-cm", "E11.9")]),
            },
            new FhirCondition { Id = "c2", Subject = OmopFixture.Ref("Patient/p1"), Onset = OmopFixture.At(2020, 1, 1), Code = OmopFixture.Code(OmopFixture.Snomed, "44054006") },
            new FhirObservation
            {
                Id = "o1", Status = "final", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Loinc, "4548-4"), Effective = OmopFixture.At(2020, 1, 1),
                Value = new FhirValue(FhirValueKind.Quantity) { Quantity = new FhirQuantity(6.5, "mg/dL", "http://unitsofmeasure.org", "mg/dL") },
            },
        ];

        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false, VocabularyFolder = vocabularyFolder.Path }, resources);

        var conditions = OmopFixture.ReadCsv(temp.File("condition_occurrence.csv")).Rows;
        // The ICD-10-CM coding ranks before SNOMED (DESIGN §3 priority): source concept is the ICD code, standard via Maps to.
        Assert.Equal(["201826", "E11.9", "45576876"], [conditions[0][2], conditions[0][13], conditions[0][14]]);
        Assert.Equal(["201826", "44054006", "201826"], [conditions[1][2], conditions[1][13], conditions[1][14]]);
        var measurement = Assert.Single(OmopFixture.ReadCsv(temp.File("measurement.csv")).Rows);
        Assert.Equal(["3004410", "6.5", "8840"], [measurement[2], measurement[8], measurement[10]]);
    }

    private static AthenaVocabulary Load() => AthenaVocabulary.Load(new StringReader(Concepts), new StringReader(Relationships));
}
