using FhirRisk.Meds.Omop;
using FhirRisk.Testing;
using static FhirRisk.Meds.Tests.Omop.OmopRoutingFixture;

namespace FhirRisk.Meds.Tests.Omop;

/// <summary>
/// The standard concept's domain picks the table (IG "OMOP Domain Assignment Logic"); without a vocabulary, or for a
/// domain without an event table, each row stays in its resource type's table (docs/formats/omop.md "Domain routing").
/// </summary>
public sealed class OmopDomainRoutingTests
{
    private static readonly string s_visit = HashingIdResolver.Id("Encounter/e1").ToString();

    [Fact]
    public void Load_StandardConcepts_DomainFromConceptFile()
    {
        using var folder = new TempDirectory();
        var vocabulary = AthenaVocabulary.Load(WriteVocabulary(folder));

        Assert.Equal(OmopDomain.Procedure, vocabulary.Domain(2001));
        Assert.Equal(OmopDomain.Condition, vocabulary.Domain(1002));
        Assert.Equal(OmopDomain.Drug, vocabulary.Domain(2004));
        Assert.Equal(OmopDomain.Other, vocabulary.Domain(1006));
        // Non-standard concepts, and standard ones in a vocabulary the loader skips, have no domain to route by.
        Assert.Equal(OmopDomain.Unknown, vocabulary.Domain(1001));
        Assert.Equal(OmopDomain.Unknown, vocabulary.Domain(3007));
    }

    [Fact]
    public void Export_WithVocabulary_EachFactInItsDomainTable()
    {
        using var temp = new TempDirectory();
        using var vocabulary = new TempDirectory();
        var issues = OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false, VocabularyFolder = WriteVocabulary(vocabulary) }, Resources());

        Assert.Empty(issues);
        Assert.Equal([LabAsCondition], SourceValues(temp, "condition"));
        Assert.Equal([ConditionAsProcedure, ProcedureMeasValue, ProcedureToUnloadedTarget, MedicationAsProcedure], SourceValues(temp, "procedure"));
        Assert.Equal([ProcedureAsMeasurement, "8480-6"], SourceValues(temp, "measurement"));
        Assert.Equal([SurveyAsDrug, Drug], SourceValues(temp, "drug"));
        // The allergy keeps its table although its substance is a Drug concept: it is not an exposure.
        Assert.Equal([ConditionAsObservation, ComponentAsObservation, Drug], SourceValues(temp, "observation"));
    }

    [Fact]
    public void Export_ConditionMappedToProcedure_ProcedureRowFromConditionDates()
    {
        var rows = ExportWithVocabulary("procedure_occurrence");

        var row = rows.Single(r => r["procedure_source_value"] == ConditionAsProcedure);
        Assert.Equal(["2001", "1001", "32827", s_visit], [row["procedure_concept_id"], row["procedure_source_concept_id"], row["procedure_type_concept_id"], row["visit_occurrence_id"]]);
        Assert.Equal(["2020-01-02", "2020-01-02 09:00:00", "2020-01-03", "2020-01-03 10:00:00"],
            [row["procedure_date"], row["procedure_datetime"], row["procedure_end_date"], row["procedure_end_datetime"]]);
        var medication = rows.Single(r => r["procedure_source_value"] == MedicationAsProcedure);
        Assert.Equal(["1008", "32838", "2020-01-04", ""], [medication["procedure_concept_id"], medication["procedure_type_concept_id"], medication["procedure_date"], medication["procedure_end_date"]]);
        // Meas Value is a domain without a table, and 3007 lies in a vocabulary the loader skips: both stay procedures.
        Assert.Equal(["1006", "3007"], rows.Where(r => r["procedure_source_value"] is ProcedureMeasValue or ProcedureToUnloadedTarget).Select(r => r["procedure_concept_id"]));
    }

    [Fact]
    public void Export_ObservationMappedToCondition_ConditionRowWithoutValue()
    {
        var row = Assert.Single(ExportWithVocabulary("condition_occurrence"));

        Assert.Equal(["1002", "1002", "2020-01-02", "2020-01-02 10:00:00", "32827", s_visit],
            [row["condition_concept_id"], row["condition_source_concept_id"], row["condition_start_date"], row["condition_start_datetime"], row["condition_type_concept_id"], row["visit_occurrence_id"]]);
        Assert.Equal(["", ""], [row["condition_end_date"], row["condition_status_source_value"]]);
    }

    [Fact]
    public void Export_ProcedureMappedToMeasurement_MeasurementRowWithTimeAndNoValue()
    {
        var rows = ExportWithVocabulary("measurement");

        var procedure = rows.Single(r => r["measurement_source_value"] == ProcedureAsMeasurement);
        Assert.Equal(["1003", "1003", "2020-01-02", "11:30:00", "32827"],
            [procedure["measurement_concept_id"], procedure["measurement_source_concept_id"], procedure["measurement_date"], procedure["measurement_time"], procedure["measurement_type_concept_id"]]);
        Assert.Equal(["", "", ""], [procedure["value_as_number"], procedure["unit_source_value"], procedure["unit_concept_id"]]);
        var systolic = rows.Single(r => r["measurement_source_value"] == "8480-6");
        Assert.Equal(["1011", "120", "mm[Hg]"], [systolic["measurement_concept_id"], systolic["value_as_number"], systolic["unit_source_value"]]);
    }

    [Fact]
    public void Export_ObservationMappedToDrug_DrugRowEndingAtItsStart()
    {
        var rows = ExportWithVocabulary("drug_exposure");

        var survey = rows.Single(r => r["drug_source_value"] == SurveyAsDrug);
        Assert.Equal(["2004", "1004", "2020-01-02", "2020-01-02", "32827", "", ""],
            [survey["drug_concept_id"], survey["drug_source_concept_id"], survey["drug_exposure_start_date"], survey["drug_exposure_end_date"],
             survey["drug_type_concept_id"], survey["sig"], survey["refills"]]);
        var prescription = rows.Single(r => r["drug_source_value"] == Drug);
        Assert.Equal(["2004", "32838", "once daily", "1"], [prescription["drug_concept_id"], prescription["drug_type_concept_id"], prescription["sig"], prescription["refills"]]);
    }

    [Fact]
    public void Export_ConditionAndComponentMappedToObservation_ObservationRowsWithTheirTypes()
    {
        var rows = ExportWithVocabulary("observation");

        Assert.Equal(["1005", "1010", "2004"], rows.Select(r => r["observation_concept_id"]));
        Assert.Equal(["32827", "38000280", "32827"], rows.Select(r => r["observation_type_concept_id"]));
        Assert.Equal(["", "1", ""], rows.Select(r => r["value_as_number"]));
        Assert.Equal(["", "{position}", ""], rows.Select(r => r["unit_source_value"]));
        Assert.Equal("2020-01-02", rows[0]["observation_date"]);
    }

    [Fact]
    public void Export_WithoutVocabulary_EachFactInItsResourceTypeTable()
    {
        using var temp = new TempDirectory();
        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false }, Resources());

        Assert.Equal([ConditionAsProcedure, ConditionAsObservation], SourceValues(temp, "condition"));
        Assert.Equal([ProcedureAsMeasurement, ProcedureMeasValue, ProcedureToUnloadedTarget], SourceValues(temp, "procedure"));
        Assert.Equal([LabAsCondition, "8480-6", ComponentAsObservation], SourceValues(temp, "measurement"));
        Assert.Equal([MedicationAsProcedure, Drug], SourceValues(temp, "drug"));
        Assert.Equal([SurveyAsDrug, Drug], SourceValues(temp, "observation"));
        var condition = OmopFixture.ReadRows(temp.File("condition_occurrence.csv"))[0];
        Assert.Equal(["0", "0", "2020-01-03", "resolved"],
            [condition["condition_concept_id"], condition["condition_source_concept_id"], condition["condition_end_date"], condition["condition_status_source_value"]]);
        var lab = OmopFixture.ReadRows(temp.File("measurement.csv"))[0];
        Assert.Equal(["7.1", "%", "0"], [lab["value_as_number"], lab["unit_source_value"], lab["unit_concept_id"]]);
    }

    private static List<Dictionary<string, string>> ExportWithVocabulary(string table)
    {
        using var temp = new TempDirectory();
        using var vocabulary = new TempDirectory();
        OmopFixture.Export(new OmopExporterSettings(temp.Path) { WriteParquet = false, VocabularyFolder = WriteVocabulary(vocabulary) }, Resources());
        return OmopFixture.ReadRows(temp.File(table + ".csv"));
    }

    /// <summary>The <c>&lt;prefix&gt;_source_value</c> column of the event table with that prefix, in file order.</summary>
    private static IEnumerable<string> SourceValues(TempDirectory temp, string prefix)
    {
        var table = prefix switch
        {
            "condition" => "condition_occurrence",
            "procedure" => "procedure_occurrence",
            "drug" => "drug_exposure",
            _ => prefix,
        };
        return OmopFixture.ReadRows(temp.File(table + ".csv")).Select(r => r[prefix + "_source_value"]);
    }
}
