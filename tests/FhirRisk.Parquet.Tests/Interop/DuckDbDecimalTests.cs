using FhirRisk.Testing;

namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>
/// DECIMAL columns DuckDB writes — INT32 (precision ≤ 9), INT64 (≤ 18) and 16-byte FIXED_LEN_BYTE_ARRAY (wider), as
/// scalars and list elements, dictionary and PLAIN, page v1 and v2 — read as the same doubles DuckDB's own
/// <c>CAST(… AS DOUBLE)</c> gives. Before, they were listed as unsupported and a MEDS reader saw them as absent.
/// </summary>
public sealed class DuckDbDecimalTests : IDisposable
{
    // Unscaled values stay below 2^53 so both sides divide an exact integer by an exact power of ten (one rounding).
    private const string Sql = """
        SELECT CASE WHEN i % 7 = 3 THEN NULL ELSE ((i % 200) - 100) * 1.5 END::DECIMAL(4,1) AS d32,
               ((i - 1500) * 1234567.891)::DECIMAL(18,3) AS d64,
               CASE WHEN i % 5 = 0 THEN NULL ELSE ((i - 1500) * 100000000007)::DECIMAL(21,1) END AS d128,
               ((i - 1500) / 7)::DECIMAL(38,10) AS d38,
               CASE WHEN i % 3 = 0 THEN NULL ELSE [(i % 10) * 0.25, NULL]::DECIMAL(5,2)[] END AS dlist
        FROM range(0, 3000) t(i)
        """;

    private static readonly string[] Columns = ["d32", "d64", "d128", "d38", "dlist"];

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public void Read_DuckDbDecimals_EqualDuckDbCastToDouble(string parquetVersion)
    {
        var path = _temp.File($"decimals-{parquetVersion}.parquet");
        DuckDb.Write(path, Sql, "zstd", rowGroupSize: 1000, parquetVersion: parquetVersion);
        var expected = DuckDbValue.Columns(DuckDb.Query(
            $"SELECT d32::DOUBLE, d64::DOUBLE, d128::DOUBLE, d38::DOUBLE, dlist::DOUBLE[] FROM read_parquet('{path}')"));

        using var reader = ParquetFileReader.Open(path);
        var ours = Columns.Select(_ => new List<object?>()).ToArray();
        foreach (var group in reader.ReadRowGroups())
        {
            for (var c = 0; c < Columns.Length; c++)
                ours[c].AddRange(Enumerable.Range(0, group.RowCount).Select(row => Normalize(group[Columns[c]].GetValue(row))));
        }

        Assert.Empty(reader.UnsupportedColumns);
        Assert.Equal(
            [(ParquetType.Decimal, 4, 1), (ParquetType.Decimal, 18, 3), (ParquetType.Decimal, 21, 1), (ParquetType.Decimal, 38, 10), (ParquetType.Decimal, 5, 2)],
            reader.Schema.Fields.Select(f => (f.Type, f.DecimalPrecision, f.DecimalScale)));
        Assert.True(reader.Schema["dlist"].IsList);
        for (var c = 0; c < Columns.Length; c++)
            ValueComparison.AssertColumnsEqual($"column {Columns[c]}", expected[c], ours[c]);
    }

    [Fact]
    public void GetStatistics_DecimalChunk_ScaledLikeTheValues()
    {
        var path = _temp.File("decimal-stats.parquet");
        DuckDb.Write(path, "SELECT (i * 0.5 - 3)::DECIMAL(9,2) AS a, (i * 0.5 - 3)::DECIMAL(25,2) AS b FROM range(0, 10) t(i)", "snappy");

        using var reader = ParquetFileReader.Open(path);

        Assert.Equal((-3.0, 1.5), Range(reader.GetStatistics(0, "a")));
        Assert.Equal((-3.0, 1.5), Range(reader.GetStatistics(0, "b")));
    }

    [Fact]
    public void Write_DecimalField_RefusedAsReadOnly()
    {
        var field = new ParquetField("price", ParquetType.Decimal) { DecimalPrecision = 9, DecimalScale = 2 };

        var error = Assert.Throws<ParquetException>(() => ParquetFileWriter.Create(_temp.File("w.parquet"), new ParquetSchema(field)));

        Assert.Equal(ParquetErrorCodes.Unsupported, error.Code);
    }

    private static (double?, double?) Range(ParquetStatistics? statistics) => ((double?)statistics!.Min, (double?)statistics.Max);

    // Our list rows are double?[]; DuckDB's are object?[] of doubles.
    private static object? Normalize(object? value) => value is double?[] list ? list.Select(v => (object?)v).ToArray() : value;
}
