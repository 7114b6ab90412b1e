using System.Text.Json;

namespace FhirRisk.Testing;

/// <summary>
/// DuckDB as the Parquet peer, through tools/interop/duckdb.mjs. Each method returns the script's JSON (formats
/// documented at the top of duckdb.mjs, lib/json-values.mjs and lib/checksum.mjs); <see cref="DuckDbValue"/>
/// decodes the values. Prefer <see cref="Batch"/> when a test needs several answers: each call starts Node and DuckDB.
/// </summary>
public static class DuckDb
{
    private const string Script = "duckdb.mjs";

    /// <summary>Codec names accepted by <see cref="Write"/>.</summary>
    public static readonly IReadOnlyList<string> Codecs = ["uncompressed", "snappy", "gzip", "zstd"];

    /// <summary><c>{columns:[{name,type}], parquet_schema:[…], parquet_metadata:[…]}</c>.</summary>
    public static JsonElement Schema(string file) => Run(DuckDbRequest.Schema(file));

    /// <summary><c>{columns:[{name,type}], rows:[[v,…],…]}</c>.</summary>
    public static JsonElement Dump(string file, int? limit = null) => Run(DuckDbRequest.Dump(file, limit));

    /// <summary><c>{row_count, columns:[{name,type,checksum}]}</c>; see <see cref="ColumnChecksum"/>.</summary>
    public static JsonElement Checksum(string file) => Run(DuckDbRequest.Checksum(file));

    /// <summary>Writes the rows of <paramref name="sql"/> to <paramref name="file"/>; returns <c>{file, rows}</c>.</summary>
    public static JsonElement Write(string file, string sql, string codec, int? rowGroupSize = null, string? parquetVersion = null) =>
        Run(DuckDbRequest.Write(file, sql, codec, rowGroupSize, parquetVersion));

    /// <summary><c>{columns:[{name,type}], rows:[[v,…],…]}</c> for any SQL.</summary>
    public static JsonElement Query(string sql) => Run(DuckDbRequest.Query(sql));

    /// <summary>Runs the requests in one Node process, in order; returns one result per request.</summary>
    public static IReadOnlyList<JsonElement> Batch(IEnumerable<DuckDbRequest> requests, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var input = JsonSerializer.Serialize(requests.Select(r => r.ToJson()).ToArray());
        var output = NodeInterop.RunJson(Script, ["batch", "-"], input, timeout);
        return output.GetProperty("results").EnumerateArray().ToArray();
    }

    private static JsonElement Run(DuckDbRequest request) => Batch([request])[0];
}

/// <summary>One request for <see cref="DuckDb.Batch"/>.</summary>
public sealed record DuckDbRequest(string Command)
{
    public string? File { get; init; }

    public string? Sql { get; init; }

    public int? Limit { get; init; }

    public string? Codec { get; init; }

    public int? RowGroupSize { get; init; }

    /// <summary>"v1" or "v2" (DuckDB's PARQUET_VERSION: v2 writes DATA_PAGE_V2 pages and the DELTA encodings).</summary>
    public string? ParquetVersion { get; init; }

    public static DuckDbRequest Schema(string file) => new("schema") { File = file };

    public static DuckDbRequest Dump(string file, int? limit = null) => new("dump") { File = file, Limit = limit };

    public static DuckDbRequest Checksum(string file) => new("checksum") { File = file };

    public static DuckDbRequest Query(string sql) => new("query") { Sql = sql };

    public static DuckDbRequest Write(string file, string sql, string codec, int? rowGroupSize = null, string? parquetVersion = null) =>
        new("write") { File = file, Sql = sql, Codec = codec, RowGroupSize = rowGroupSize, ParquetVersion = parquetVersion };

    internal Dictionary<string, object> ToJson()
    {
        var json = new Dictionary<string, object> { ["command"] = Command };
        if (File is not null) json["file"] = File;
        if (Sql is not null) json["sql"] = Sql;
        if (Limit is not null) json["limit"] = Limit.Value;
        if (Codec is not null) json["codec"] = Codec;
        if (RowGroupSize is not null) json["rowGroupSize"] = RowGroupSize.Value;
        if (ParquetVersion is not null) json["parquetVersion"] = ParquetVersion;
        return json;
    }
}
