using System.Text.Json;
using FhirRisk.Fhir.Model;
using FhirRisk.Meds.Omop;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests.Omop;

/// <summary>DuckDB (the peer, DESIGN §1) reads our Parquet and CSV tables with the 5.4 column names and our row counts.</summary>
public sealed class OmopDuckDbInteropTests
{
    [Fact]
    public void Export_ParquetAndCsv_DuckDbReadsColumnsAndRowCounts()
    {
        using var temp = new TempDirectory();
        OmopFixture.Export(new OmopExporterSettings(temp.Path), OmopFixture.Resources());
        var expected = new Dictionary<string, long>
        {
            ["person"] = 1, ["observation_period"] = 1, ["visit_occurrence"] = 1, ["visit_detail"] = 1, ["condition_occurrence"] = 1,
            ["drug_exposure"] = 2, ["procedure_occurrence"] = 1, ["measurement"] = 2, ["observation"] = 2, ["death"] = 1,
        };
        var requests = OmopTables.All.SelectMany(t => new[]
        {
            DuckDbRequest.Query($"SELECT * FROM read_parquet('{temp.File(t.Name + ".parquet")}')"),
            DuckDbRequest.Query($"SELECT * FROM read_csv('{temp.File(t.Name + ".csv")}', header = true)"),
        });

        var results = DuckDb.Batch(requests);

        var index = 0;
        foreach (var table in OmopTables.All)
        {
            foreach (var result in results.Skip(index).Take(2))
            {
                var columns = result.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
                Assert.Equal(table.ColumnNames, columns);
                Assert.Equal(expected[table.Name], result.GetProperty("rows").GetArrayLength());
            }
            index += 2;
        }
        var person = results[0].GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("type").GetString()).ToList();
        Assert.Equal(["BIGINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "TIMESTAMP"], person.Take(6));
    }

    [Fact]
    public void Export_RoutedRowsPrecedingVisitsAndDeathCause_DuckDbReadsParquet()
    {
        using var temp = new TempDirectory();
        using var vocabulary = new TempDirectory();
        var earlier = new FhirEncounter
        {
            Id = "e0", Status = "finished", Class = new FhirCoding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"),
            Subject = OmopFixture.Ref("Patient/p1"), Period = new FhirPeriod(OmopFixture.At(2019, 6, 1, 9), OmopFixture.At(2019, 6, 1, 10)),
        };
        var certificate = new FhirObservation
        {
            Id = "cod", Status = "final", Subject = OmopFixture.Ref("Patient/p1"), Code = OmopFixture.Code(OmopFixture.Loinc, "69453-9"),
            Categories = [OmopRoutingFixture.Category("exam")], Effective = OmopFixture.At(2021, 3, 1, 11),
            Value = new FhirValue(FhirValueKind.CodeableConcept) { CodeableConcept = OmopFixture.Code(OmopFixture.Snomed, OmopRoutingFixture.CauseOfDeath) },
        };
        var settings = new OmopExporterSettings(temp.Path) { WriteCsv = false, VocabularyFolder = OmopRoutingFixture.WriteVocabulary(vocabulary) };
        OmopFixture.Export(settings, [.. OmopRoutingFixture.Resources(), earlier, certificate]);
        string Parquet(string table) => temp.File(table + ".parquet");

        var results = DuckDb.Batch(
        [
            DuckDbRequest.Query($"SELECT condition_concept_id, condition_source_value FROM read_parquet('{Parquet("condition_occurrence")}')"),
            DuckDbRequest.Query($"SELECT procedure_concept_id, procedure_source_value FROM read_parquet('{Parquet("procedure_occurrence")}')"),
            DuckDbRequest.Query($"SELECT measurement_concept_id, measurement_source_value FROM read_parquet('{Parquet("measurement")}')"),
            DuckDbRequest.Query($"SELECT drug_concept_id, drug_source_value FROM read_parquet('{Parquet("drug_exposure")}')"),
            DuckDbRequest.Query($"SELECT observation_concept_id, observation_source_value FROM read_parquet('{Parquet("observation")}')"),
            DuckDbRequest.Query($"SELECT visit_occurrence_id, preceding_visit_occurrence_id FROM read_parquet('{Parquet("visit_occurrence")}') ORDER BY visit_start_datetime"),
            DuckDbRequest.Query($"SELECT cause_concept_id, cause_source_value, cause_source_concept_id FROM read_parquet('{Parquet("death")}')"),
        ]);

        Assert.Equal([(2001L, OmopRoutingFixture.ConditionAsProcedure), (1006L, OmopRoutingFixture.ProcedureMeasValue), (3007L, OmopRoutingFixture.ProcedureToUnloadedTarget), (1008L, OmopRoutingFixture.MedicationAsProcedure)], Pairs(results[1]));
        Assert.Equal([(1002L, OmopRoutingFixture.LabAsCondition)], Pairs(results[0]));
        Assert.Equal([(1003L, OmopRoutingFixture.ProcedureAsMeasurement), (1011L, "8480-6")], Pairs(results[2]));
        Assert.Equal([(2004L, OmopRoutingFixture.SurveyAsDrug), (2004L, OmopRoutingFixture.Drug)], Pairs(results[3]));
        Assert.Equal([1005L, 1010L, 2004L, 1013L], Pairs(results[4]).Select(p => p.Concept));
        var visits = results[5].GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().ToArray()).ToList();
        Assert.Equal([HashingIdResolver.Id("Encounter/e0"), HashingIdResolver.Id("Encounter/e1")], visits.Select(v => DuckDbValue.ToInt64(v[0])));
        Assert.Equal(JsonValueKind.Null, visits[0][1].ValueKind);
        Assert.Equal(HashingIdResolver.Id("Encounter/e0"), DuckDbValue.ToInt64(visits[1][1]));
        var death = Assert.Single(results[6].GetProperty("rows").EnumerateArray()).EnumerateArray().ToArray();
        Assert.Equal((2012L, OmopRoutingFixture.CauseOfDeath, 1012L), (DuckDbValue.ToInt64(death[0]), death[1].GetString(), DuckDbValue.ToInt64(death[2])));
    }

    /// <summary>(concept id, source value) of each row of a two-column query.</summary>
    private static List<(long Concept, string? Source)> Pairs(JsonElement result) =>
        result.GetProperty("rows").EnumerateArray().Select(r => (DuckDbValue.ToInt64(r[0]), r[1].GetString())).ToList();
}
