using System.Globalization;
using System.Text.Json;
using FhirRisk.Bench.Infrastructure;

namespace FhirRisk.Bench.Parquet;

/// <summary>What DuckDB measured on one thread (tools/interop/duckdb-bench.mjs <c>parquet</c>).</summary>
/// <param name="WriteMilliseconds">Best <c>COPY … TO (FORMAT parquet, COMPRESSION zstd)</c> of the loaded table.</param>
/// <param name="ReadInputMilliseconds">Best aggregate query over our file.</param>
/// <param name="ReadOutputMilliseconds">Best aggregate query over DuckDB's own file.</param>
internal sealed record DuckDbParquetMeasurement(
    string Version,
    string NodeVersion,
    int Threads,
    double WriteMilliseconds,
    double ReadInputMilliseconds,
    double ReadOutputMilliseconds,
    MedsAggregates InputAggregates,
    MedsAggregates OutputAggregates);

/// <summary>Runs the DuckDB side of the <c>parquet</c> benchmark in Node.js.</summary>
internal static class DuckDbParquetPeer
{
    public static DuckDbParquetMeasurement Measure(NodeInterop node, string ourFile, string duckDbFile, int repeats)
    {
        var json = node.RunScript("duckdb-bench.mjs",
            ["parquet", "--input", ourFile, "--output", duckDbFile, "--repeat", repeats.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromMinutes(10));
        try
        {
            return new DuckDbParquetMeasurement(
                json.GetProperty("duckdb_version").GetString() ?? "?",
                json.GetProperty("node_version").GetString() ?? "?",
                json.GetProperty("threads").GetInt32(),
                json.GetProperty("write_ms").GetDouble(),
                json.GetProperty("read_input_ms").GetDouble(),
                json.GetProperty("read_output_ms").GetDouble(),
                MedsAggregates.FromJson(json.GetProperty("input_aggregates")),
                MedsAggregates.FromJson(json.GetProperty("output_aggregates")));
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new BenchmarkException($"duckdb-bench.mjs answered without the expected fields: {json}", ex);
        }
    }
}
