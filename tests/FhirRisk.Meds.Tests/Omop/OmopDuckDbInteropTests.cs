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
}
