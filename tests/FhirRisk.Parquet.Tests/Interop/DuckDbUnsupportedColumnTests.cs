using FhirRisk.Testing;

namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>
/// Columns DuckDB writes that we cannot represent faithfully are reported in <see cref="ParquetFileReader.UnsupportedColumns"/>
/// (and <see cref="ParquetSchema.UnsupportedFields"/>) instead of being misread, and the rest of the file stays readable.
/// </summary>
public sealed class DuckDbUnsupportedColumnTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Open_UnsignedAndStructColumns_ReportedNotMisread()
    {
        var path = Path.Combine(_temp.Path, "mixed.parquet");
        DuckDb.Write(path, "SELECT 18446744073709551615::UBIGINT AS big, 4294967295::UINTEGER AS mid, 12.34::DECIMAL(10,2) AS price, "
            + "{'t': 1} AS nested, 7::BIGINT AS kept", "zstd");

        using var reader = ParquetFileReader.Open(path);

        Assert.Equal(["big", "mid", "nested"], reader.UnsupportedColumns.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(reader.UnsupportedColumns.Count, reader.Schema.UnsupportedFields.Count);
        Assert.Equal(["price", "kept"], reader.Schema.Fields.Select(f => f.Name));
        Assert.Equal(7L, reader.ReadRowGroup(0)["kept"].As<long>()[0]);
        var error = Assert.Throws<ParquetException>(() => reader.ReadRowGroup(0, ["big"]));
        Assert.Equal(ParquetErrorCodes.Unsupported, error.Code);
        Assert.Contains("unsigned", error.Message, StringComparison.Ordinal);
    }
}
