using System.Text.Json;
using FhirRisk.Testing;

namespace FhirRisk.Parquet.Tests.Interop;

/// <summary>
/// Has DuckDB write the same table once per codec and Parquet version (v2 means DATA_PAGE_V2 pages and the DELTA /
/// BYTE_STREAM_SPLIT encodings), then dump each file — all in one Node process, on first use.
/// </summary>
public sealed class ReaderInteropFixture : IDisposable
{
    internal const int Rows = 5000;

    // DuckDB's row groups are multiples of its 2048-row vectors; 2048 gives three row groups for 5000 rows.
    internal const int RowGroupSize = 2048;

    /// <summary>Every kind of column our reader maps, with nulls, extremes, NaN/±inf/-0, non-BMP text and lists.</summary>
    internal const string Sql = """
        SELECT
          i::BIGINT AS id,
          CASE WHEN i % 11 = 0 THEN NULL ELSE i % 3 = 0 END AS flag,
          (CASE WHEN i % 7 = 0 THEN NULL WHEN i = 1 THEN 2147483647 WHEN i = 2 THEN -2147483648
                ELSE (i * 2654435761) % 4294967296 - 2147483648 END)::INTEGER AS i32,
          (CASE WHEN i % 13 = 0 THEN NULL WHEN i = 1 THEN 9223372036854775807 WHEN i = 2 THEN -9223372036854775808
                ELSE i * 3037000493 * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) END)::BIGINT AS i64,
          (i % 30000 - 15000)::SMALLINT AS i16,
          CASE WHEN i % 17 = 0 THEN NULL ELSE DATE '1969-06-01' + (i * 7 % 40000)::INTEGER END AS day,
          CASE i % 50 WHEN 1 THEN 'nan'::FLOAT WHEN 2 THEN 'inf'::FLOAT WHEN 3 THEN '-inf'::FLOAT WHEN 4 THEN NULL
               WHEN 5 THEN -0.0::FLOAT ELSE (i / 7.0 - 300)::FLOAT END AS f32,
          CASE i % 40 WHEN 1 THEN 'nan'::DOUBLE WHEN 2 THEN 'inf'::DOUBLE WHEN 3 THEN '-inf'::DOUBLE WHEN 4 THEN NULL
               WHEN 5 THEN -0.0::DOUBLE ELSE sin(i) * 1e10 END AS f64,
          CASE WHEN i % 19 = 0 THEN NULL WHEN i % 23 = 0 THEN '' ELSE 'vä 😀 ' || (i % 97)::VARCHAR || repeat('x', i % 5) END AS label,
          CASE WHEN i % 29 = 0 THEN NULL ELSE md5(i::VARCHAR) || '日本' END AS unique_text,
          CASE WHEN i % 9 = 0 THEN NULL WHEN i % 10 = 0 THEN ''::BLOB ELSE '\x00\xFF'::BLOB || encode((i % 256)::VARCHAR) END AS payload,
          CASE WHEN i % 31 = 0 THEN NULL ELSE TIMESTAMP '1960-01-01 00:00:00' + to_microseconds(i::BIGINT * 86400000123) END AS ts,
          CASE WHEN i % 37 = 0 THEN NULL ELSE to_timestamp(1600000000 + i * 3600) END AS ts_utc,
          CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN []::VARCHAR[]
               ELSE ['a' || i::VARCHAR, NULL, 'ü' || (i % 4)::VARCHAR] END AS tags,
          CASE WHEN i % 8 = 0 THEN NULL
               ELSE list_transform(range(i % 5), x -> CASE WHEN x = 2 THEN NULL ELSE x * i END) END AS ids
        FROM range(5000) t(i)
        """;

    private readonly TempDirectory _directory = new("fhirrisk-reader-interop");
    private readonly Lazy<IReadOnlyDictionary<(string, string), DuckDbWrittenFile>> _files;

    public ReaderInteropFixture()
    {
        _files = new(WriteWithDuckDb);
    }

    public static IEnumerable<(string Codec, string ParquetVersion)> Variants =>
        from codec in DuckDb.Codecs
        from version in new[] { "v1", "v2" }
        select (codec, version);

    /// <summary>The file DuckDB wrote for the variant and its dump of it.</summary>
    internal DuckDbWrittenFile File(string codec, string parquetVersion) => _files.Value[(codec, parquetVersion)];

    public void Dispose() => _directory.Dispose();

    private IReadOnlyDictionary<(string, string), DuckDbWrittenFile> WriteWithDuckDb()
    {
        var variants = Variants.ToArray();
        var paths = variants.Select(v => _directory.File($"duckdb-{v.Codec}-{v.ParquetVersion}.parquet")).ToArray();
        var writes = variants.Select((v, i) => DuckDbRequest.Write(paths[i], Sql, v.Codec, RowGroupSize, v.ParquetVersion));
        var answers = DuckDb.Batch([.. writes, .. paths.Select(p => DuckDbRequest.Dump(p))]);
        return variants.Select((v, i) => (v, DuckDbWrittenFile.From(paths[i], answers[variants.Length + i])))
            .ToDictionary(p => p.v, p => p.Item2);
    }
}

/// <summary>A file DuckDB wrote, with its dump decoded once (column names, DuckDB types, values per column).</summary>
internal sealed record DuckDbWrittenFile(string Path, IReadOnlyList<string> Names, IReadOnlyList<string> Types, IReadOnlyList<object?[]> Columns)
{
    public static DuckDbWrittenFile From(string path, JsonElement dump)
    {
        var columns = dump.GetProperty("columns").EnumerateArray().ToArray();
        return new DuckDbWrittenFile(
            path,
            columns.Select(c => c.GetProperty("name").GetString()!).ToArray(),
            columns.Select(c => c.GetProperty("type").GetString()!).ToArray(),
            DuckDbValue.Columns(dump));
    }
}
