using FhirRisk.Core;
using FhirRisk.Parquet;
using FhirRisk.Testing;

namespace FhirRisk.Meds.Tests;

/// <summary>
/// Optional MEDS columns whose Parquet type our reader could not represent used to count as absent, so every value read
/// as null and the validator said "valid". Shards here are written by DuckDB, as an ETL would: a DECIMAL
/// <c>numeric_value</c> is now read (MEDS012), and a struct or unsigned 64-bit column is MEDS011 in the validator and
/// in the reader.
/// </summary>
public sealed class MedsUnreadableColumnTests : IDisposable
{
    private const string Shard = "data/train/0.parquet";
    private const string Events = "SELECT (i // 100)::BIGINT AS subject_id, TIMESTAMP '2020-01-01' + to_minutes(i) AS time, 'LAB//' || (i % 5)::VARCHAR AS code";

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("(i * 1.5)", 21)]                    // BIGINT × DECIMAL(2,1): DuckDB's DECIMAL(21,1), a 16-byte FIXED_LEN_BYTE_ARRAY
    [InlineData("((i % 1000) * 1.5)::DECIMAL(5,1)", 5)] // INT32 unscaled values
    [InlineData("(i * 1.5)::DECIMAL(12,1)", 12)]     // INT64 unscaled values
    public void DecimalNumericValue_ReadAsFloat32WithMEDS012(string numeric, int precision)
    {
        WriteShard($"{Events}, CASE WHEN i % 9 = 4 THEN NULL ELSE {numeric} END AS numeric_value FROM range(0, 600) t(i)");

        var issues = MedsValidator.Validate(_temp.Path);
        var events = MedsDatasetReader.Open(_temp.Path).ReadEvents().ToList();

        Assert.DoesNotContain(issues, i => i.Severity == IssueSeverity.Error);
        var warning = Assert.Single(issues, i => i.Code == MedsIssueCodes.ColumnTypeConverted);
        Assert.Equal(Shard, warning.Path);
        Assert.Contains($"decimal({precision},1)", warning.Message, StringComparison.Ordinal);
        Assert.Equal(600, events.Count);
        var expected = Enumerable.Range(0, 600).Select(i => i % 9 == 4 ? (float?)null : (float)((precision == 5 ? i % 1000 : i) * 1.5));
        Assert.Equal(expected, events.Select(e => e.NumericValue));
    }

    [Theory]
    [InlineData("{'v': i} AS text_value", "text_value")]
    [InlineData("i::UBIGINT AS numeric_value", "numeric_value")]
    public void UnreadableOptionalColumn_ValidatorAndReaderReportMEDS011(string column, string name)
    {
        WriteShard($"{Events}, {column} FROM range(0, 200) t(i)");

        var issue = Assert.Single(MedsValidator.Validate(_temp.Path), i => i.Severity == IssueSeverity.Error);
        var error = Assert.Throws<MedsFormatException>(() => MedsDatasetReader.Open(_temp.Path).ReadEvents().ToList());

        Assert.Equal((MedsIssueCodes.ColumnWrongType, Shard), (issue.Code, issue.Path));
        Assert.Contains($"'{name}' cannot be read", issue.Message, StringComparison.Ordinal);
        Assert.Equal(issue, error.Issue);
    }

    [Fact]
    public void UnreadableEncounterId_IgnoredWithMEDS012()
    {
        WriteShard($"{Events}, {{'id': i}} AS encounter_id FROM range(0, 200) t(i)");

        var issues = MedsValidator.Validate(_temp.Path);

        Assert.DoesNotContain(issues, i => i.Severity == IssueSeverity.Error);
        Assert.Equal(Shard, Assert.Single(issues, i => i.Code == MedsIssueCodes.ColumnTypeConverted).Path);
        Assert.All(MedsDatasetReader.Open(_temp.Path).ReadEvents(), e => Assert.Null(e.EncounterId));
    }

    [Theory]
    [InlineData("{'text': 'Lab 0'} AS description")]
    [InlineData("[['LOINC/1']] AS parent_codes")]
    public void UnreadableCodesColumn_ValidatorAndReaderReportMEDS011(string column)
    {
        WriteShard($"{Events} FROM range(0, 200) t(i)");
        DuckDb.Write(Path.Combine(_temp.Path, MedsSchema.CodesFile), $"SELECT 'LAB//' || i::VARCHAR AS code, {column} FROM range(0, 5) t(i)", "zstd");

        var issue = Assert.Single(MedsValidator.Validate(_temp.Path), i => i.Severity == IssueSeverity.Error);
        var error = Assert.Throws<MedsFormatException>(() => MedsDatasetReader.Open(_temp.Path).ReadCodes());

        Assert.Equal((MedsIssueCodes.ColumnWrongType, MedsSchema.CodesFile), (issue.Code, issue.Path));
        Assert.Equal(issue, error.Issue);
    }

    [Fact]
    public void UnreadableLabelValue_ReadThrowsMEDS011()
    {
        var path = Path.Combine(_temp.Path, "labels.parquet");
        DuckDb.Write(path, "SELECT 1::BIGINT AS subject_id, TIMESTAMP '2020-01-02' AS prediction_time, true AS boolean_value, {'p': 0.5} AS float_value", "zstd");

        var error = Assert.Throws<MedsFormatException>(() => MedsLabels.Read(path));

        Assert.Equal(MedsIssueCodes.ColumnWrongType, error.Issue.Code);
    }

    [Fact]
    public void BrotliShard_ValidatorReportsMEDS005NamingTheCodec()
    {
        // BROTLI is not implemented (docs/formats/parquet.md); the shard must fail loudly, never read as empty.
        WriteShard($"{Events} FROM range(0, 10) t(i)");
        DuckDb.Query($"COPY ({Events} FROM range(0, 10) t(i)) TO '{Path.Combine(_temp.Path, Shard)}' (FORMAT parquet, COMPRESSION brotli)");

        var issue = Assert.Single(MedsValidator.Validate(_temp.Path), i => i.Severity == IssueSeverity.Error);

        Assert.Equal((MedsIssueCodes.UnreadableParquet, Shard), (issue.Code, issue.Path));
        Assert.Contains("BROTLI", issue.Message, StringComparison.Ordinal);
        Assert.Throws<ParquetException>(() => MedsDatasetReader.Open(_temp.Path).ReadEvents().ToList());
    }

    private void WriteShard(string sql)
    {
        new RawDataset(_temp.Path).WithMetadata(Enumerable.Range(0, 5).Select(i => $"LAB//{i}"), Enumerable.Range(0, 6).Select(s => ((long)s, "train")));
        var path = Path.Combine(_temp.Path, Shard);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        DuckDb.Write(path, sql, "zstd", rowGroupSize: 256);
    }
}
