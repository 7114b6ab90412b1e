using System.Text.Json;
using FhirRisk.Testing;

namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>
/// The DuckDB harness itself (tools/interop + FhirRisk.Testing): value encodings survive the trip through JSON, the
/// C# checksum recomputation agrees with DuckDB's definition, and failures carry DuckDB's message. These tests do not
/// touch our Parquet code, so a failure here points at the harness, not at the reader or writer.
/// </summary>
public sealed class DuckDbHarnessTests
{
    [Fact]
    public void Query_EdgeValues_DecodeExactly()
    {
        var result = DuckDb.Query("""
            SELECT 'nan'::DOUBLE AS nan, 'inf'::DOUBLE AS pinf, '-inf'::FLOAT AS ninf, -0.0::DOUBLE AS nzero,
                   0.1::FLOAT AS tenth, 9223372036854775807::BIGINT AS big, '\x00\xAB'::BLOB AS bytes,
                   TIMESTAMP '1969-12-31 23:59:59.999999' AS ts, [1, NULL]::INTEGER[] AS list, 'ü😀'::VARCHAR AS text
            """);
        var row = DuckDbValue.Columns(result).Select(column => Assert.Single(column)).ToArray();

        Assert.True(double.IsNaN((double)row[0]!));
        Assert.Equal(double.PositiveInfinity, row[1]);
        Assert.Equal(float.NegativeInfinity, row[2]);
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits((double)row[3]!));
        Assert.Equal(0.1f, row[4]);
        Assert.Equal(long.MaxValue, row[5]);
        Assert.Equal(new byte[] { 0x00, 0xAB }, row[6]);
        Assert.Equal(-1L, row[7]);
        Assert.Equal(new object?[] { 1, null }, (object?[])row[8]!);
        Assert.Equal("ü😀", row[9]);
    }

    [Fact]
    public void Checksum_OfDuckDbFiles_EqualsOurRecomputationFromTheDump()
    {
        using var directory = new TempDirectory();
        var full = directory.File("full.parquet");
        var empty = directory.File("all-null.parquet");
        const string allNull = """
            SELECT NULL::BOOLEAN AS b, NULL::BIGINT AS i, NULL::FLOAT AS f, NULL::VARCHAR AS s, NULL::BLOB AS x,
                   NULL::TIMESTAMP AS t, NULL::DATE AS d, NULL::VARCHAR[] AS l, ['only']::VARCHAR[] AS one
            FROM range(3)
            """;

        var answers = DuckDb.Batch([
            DuckDbRequest.Write(full, ReaderInteropFixture.Sql, "zstd"),
            DuckDbRequest.Write(empty, allNull, "snappy"),
            DuckDbRequest.Dump(full), DuckDbRequest.Checksum(full),
            DuckDbRequest.Dump(empty), DuckDbRequest.Checksum(empty),
        ]);

        AssertChecksumsMatchDump(answers[2], answers[3]);
        AssertChecksumsMatchDump(answers[4], answers[5]);
    }

    [Fact]
    public void ChecksumComparison_ChangedValue_NamesTheField()
    {
        var values = new object?[] { "b", "a", null, "😀" };
        var expected = JsonSerializer.SerializeToElement(ColumnChecksum.Compute("VARCHAR", values));

        var differences = ChecksumComparison.Differences(expected, ColumnChecksum.Compute("VARCHAR", ["b", "a", null, "z"]), "col");

        Assert.Equal(["col.byte_length_sum: DuckDB \"6\", ours \"3\"", "col.max: DuckDB \"😀\", ours \"z\""],
            differences.Select(d => d.Replace("\\uD83D\\uDE00", "😀", StringComparison.Ordinal)));
    }

    [Fact]
    public void ChecksumComparison_FloatSumWithinTolerance_NoDifference()
    {
        var ours = ColumnChecksum.Compute("DOUBLE", [0.1, 0.2, 0.3, double.NaN, null]);
        var duckDb = new Dictionary<string, object?>(ours) { ["sum"] = (double)ours["sum"]! + 1e-12 };

        Assert.Empty(ChecksumComparison.Differences(JsonSerializer.SerializeToElement(duckDb), ours, "col"));
        Assert.Equal(1L, ours["nan_count"]);
    }

    [Fact]
    public void Batch_FailingRequest_ThrowsWithDuckDbMessage()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DuckDb.Batch([
            DuckDbRequest.Query("SELECT 1"),
            DuckDbRequest.Query("SELECT * FROM no_such_table"),
        ]));

        Assert.Contains("request 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("no_such_table", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NodeInterop_AfterInstall_PackagesAreCurrent()
    {
        NodeInterop.EnsurePackagesInstalled();

        Assert.True(NodeInterop.PackagesAreCurrent);
    }

    [Fact]
    public void PackageLock_NamesNoRegistryHost()
    {
        // The lock file must work against whichever registry mirror a machine is configured with.
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.ToolsInterop, "package-lock.json"));

        Assert.DoesNotContain("\"resolved\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("://", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TempDirectory_Dispose_DeletesTheFolderAndItsFiles()
    {
        var directory = new TempDirectory();
        File.WriteAllText(directory.File("a.txt"), "x");

        directory.Dispose();

        Assert.False(Directory.Exists(directory.Path));
    }

    private static void AssertChecksumsMatchDump(JsonElement dump, JsonElement checksum)
    {
        var columns = DuckDbValue.Columns(dump);
        var described = checksum.GetProperty("columns").EnumerateArray().ToArray();
        Assert.Equal(dump.GetProperty("rows").GetArrayLength(), checksum.GetProperty("row_count").GetInt32());
        for (var c = 0; c < described.Length; c++)
        {
            var ours = ColumnChecksum.Compute(described[c].GetProperty("type").GetString()!, columns[c]);
            ChecksumComparison.AssertEqual(described[c].GetProperty("checksum"), ours, described[c].GetProperty("name").GetString()!);
        }
    }
}
