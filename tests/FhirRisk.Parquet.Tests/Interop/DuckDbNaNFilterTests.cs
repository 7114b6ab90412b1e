using FhirRisk.Testing;

namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>
/// DuckDB orders NaN above every number and prunes row groups by our min/max, so a chunk that holds NaN must not claim
/// bounds that exclude it: a filter on our file has to count the rows the same filter counts once the file is loaded
/// into a table (where no statistics are involved).
/// </summary>
public sealed class DuckDbNaNFilterTests : IDisposable
{
    private static readonly string[] Filters =
        ["x > 2.5", "x >= 'nan'::DOUBLE", "x = 'nan'::DOUBLE", "x < 2.5", "f > 2.5", "f = 'nan'::FLOAT"];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Filter_OnOurFileWithNaN_CountsWhatTheLoadedTableCounts()
    {
        var path = _temp.File("nan.parquet");
        // Row groups of three: [1, 2, NaN] has no number above 2.5 except NaN; [3, 4, 0.5] has no NaN; [NaN, null, 10].
        double[] x = [1, 2, double.NaN, 3, 4, 0.5, double.NaN, 0, 10];
        bool[] present = [true, true, true, true, true, true, true, false, true];
        using (var writer = ParquetFileWriter.Create(path, new ParquetSchema(new ParquetField("x", ParquetType.Double), new ParquetField("f", ParquetType.Float)),
                   new ParquetWriterOptions { RowGroupSize = 3 }))
        {
            writer.WriteRowGroup([
                ParquetColumn.Create(new ParquetField("x", ParquetType.Double), x, present),
                ParquetColumn.Create(new ParquetField("f", ParquetType.Float), x.Select(v => (float)v).ToArray(), present),
            ]);
        }

        var requests = new List<DuckDbRequest> { DuckDbRequest.Query($"CREATE TABLE t AS SELECT * FROM read_parquet('{path}')") };
        requests.AddRange(Filters.Select(f => DuckDbRequest.Query($"SELECT count(*) FROM read_parquet('{path}') WHERE {f}")));
        requests.AddRange(Filters.Select(f => DuckDbRequest.Query($"SELECT count(*) FROM t WHERE {f}")));
        var counts = DuckDb.Batch(requests).Skip(1).Select(a => DuckDbValue.ToInt64(a.GetProperty("rows")[0][0])).ToArray();
        var fromFile = Filters.Zip(counts.Take(Filters.Length));
        var fromTable = Filters.Zip(counts.Skip(Filters.Length));

        Assert.Equal(fromTable, fromFile);
        Assert.Equal(5, counts[Filters.Length]); // the table's `x > 2.5`: 3, 4, 10 and both NaN rows
    }
}
