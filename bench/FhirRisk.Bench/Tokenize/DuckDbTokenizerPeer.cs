using System.Globalization;
using System.Text.Json;
using FhirRisk.Bench.Infrastructure;
using FhirRisk.Meds;
using FhirRisk.Tokenizer;

namespace FhirRisk.Bench.Tokenize;

/// <summary>What DuckDB fitted (tools/interop/lib/duckdb-tokenizer.mjs), in the terms of docs/formats/tokenizer.md.</summary>
internal sealed record PeerFit(
    long Subjects,
    long Events,
    IReadOnlyList<(string Token, long Count)> Vocabulary,
    IReadOnlyList<PeerQuantiles> Quantiles,
    IReadOnlyList<PeerInterval> Intervals);

internal sealed record PeerQuantiles(string Code, long Values, IReadOnlyList<float> Breaks, IReadOnlyList<float> BinValues, IReadOnlyList<long> BinCounts);

internal sealed record PeerInterval(int Index, long Count, long MeanMicros, long MinMicros, long MaxMicros);

/// <summary>One timed run of the DuckDB tokenizer: fit, then encode every shard.</summary>
internal sealed record DuckDbTokenizeMeasurement(
    string Version,
    string NodeVersion,
    int Threads,
    double FitMilliseconds,
    double EncodeMilliseconds,
    PeerFit Fit,
    IReadOnlyDictionary<string, TokenStreamChecksum> Shards);

/// <summary>
/// Runs the DuckDB side of <c>bench tokenize</c> in Node.js (<c>duckdb-bench.mjs tokenize</c>) on the same MEDS shards,
/// with the same <see cref="TokenizerSettings"/>, fitting on the same splits and encoding every shard.
/// </summary>
internal static class DuckDbTokenizerPeer
{
    public static DuckDbTokenizeMeasurement Measure(
        NodeInterop node, MedsDatasetReader dataset, TokenizerSettings settings, int threads, string outputFolder)
    {
        Directory.CreateDirectory(Path.Combine(outputFolder, "model"));
        var shards = dataset.Shards.Select(s => (Shard: s, Name: TokenShardName(s))).ToArray();
        foreach (var (_, name) in shards)
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(outputFolder, name))!);
        var request = Path.Combine(outputFolder, "request.json");
        File.WriteAllBytes(request, Request(dataset, settings, threads, outputFolder, shards));

        var json = node.RunScript("duckdb-bench.mjs", ["tokenize", "--request", request], TimeSpan.FromMinutes(30));
        try
        {
            var checksums = new Dictionary<string, TokenStreamChecksum>(StringComparer.Ordinal);
            var described = json.GetProperty("shards").EnumerateArray().ToArray();
            for (var i = 0; i < shards.Length; i++)
                checksums[shards[i].Name] = ParseChecksum(described[i]);
            return new DuckDbTokenizeMeasurement(
                json.GetProperty("duckdb_version").GetString() ?? "?",
                json.GetProperty("node_version").GetString() ?? "?",
                json.GetProperty("threads").GetInt32(),
                json.GetProperty("fit_ms").GetDouble(),
                json.GetProperty("encode_ms").GetDouble(),
                ParseFit(json.GetProperty("fit")),
                checksums);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            throw new BenchmarkException("duckdb-bench.mjs tokenize answered without the expected fields.", ex);
        }
    }

    /// <summary><c>data/train/0.parquet</c> → <c>train/0</c>, the name our token shard and the peer's files share.</summary>
    public static string TokenShardName(MedsShard shard)
    {
        var prefix = MedsSchema.DataFolder + "/";
        var relative = shard.RelativePath.StartsWith(prefix, StringComparison.Ordinal) ? shard.RelativePath[prefix.Length..] : shard.RelativePath;
        return Path.ChangeExtension(relative, null);
    }

    private static byte[] Request(MedsDatasetReader dataset, TokenizerSettings settings, int threads, string outputFolder, (MedsShard Shard, string Name)[] shards)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("threads", threads);
            json.WriteString("model_dir", Path.Combine(outputFolder, "model"));
            json.WriteStartArray("fit_files");
            foreach (var (shard, _) in shards.Where(s => settings.FitSplits.Contains(s.Shard.Split)))
                json.WriteStringValue(Path.Combine(dataset.Root, shard.RelativePath));
            json.WriteEndArray();
            json.WriteStartArray("shards");
            foreach (var (shard, name) in shards)
            {
                json.WriteStartObject();
                json.WriteString("input", Path.Combine(dataset.Root, shard.RelativePath));
                json.WriteString("tokens", Path.Combine(outputFolder, name + ".parquet"));
                json.WriteString("statics", Path.Combine(outputFolder, name + ".statics.parquet"));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            WriteSettings(json, settings);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteSettings(Utf8JsonWriter json, TokenizerSettings settings)
    {
        json.WriteStartObject("settings");
        json.WriteNumber("min_count", settings.MinCount);
        json.WriteNumber("max_vocabulary_size", settings.MaxVocabularySize);
        json.WriteNumber("quantized_codes", settings.QuantizedCodes);
        json.WriteStartArray("static_fields");
        foreach (var field in settings.StaticFields)
            json.WriteStringValue(field);
        json.WriteEndArray();
        json.WriteStartArray("intervals");
        foreach (var interval in settings.Intervals)
        {
            json.WriteStartObject();
            json.WriteString("name", interval.Name);
            json.WriteNumber("lower_us", interval.LowerBound.Ticks / TimeSpan.TicksPerMicrosecond);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("hierarchies");
        foreach (var family in settings.Hierarchies)
        {
            json.WriteStartObject();
            json.WriteString("prefix", family.Prefix);
            json.WriteNumber("category_length", family.CategoryLength);
            json.WriteString("separator", family.Separator);
            json.WriteBoolean("split", family.Split);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static PeerFit ParseFit(JsonElement fit) => new(
        Long(fit.GetProperty("subjects")),
        Long(fit.GetProperty("events")),
        [.. fit.GetProperty("vocabulary").EnumerateArray().Select(v => (v.GetProperty("token").GetString()!, Long(v.GetProperty("count"))))],
        [.. fit.GetProperty("quantiles").EnumerateArray().Select(q => new PeerQuantiles(
            q.GetProperty("code").GetString()!,
            Long(q.GetProperty("values")),
            Floats(q.GetProperty("breaks")),
            Floats(q.GetProperty("bin_values")),
            [.. q.GetProperty("bin_counts").EnumerateArray().Select(Long)]))],
        [.. fit.GetProperty("intervals").EnumerateArray().Select(i => new PeerInterval(
            i.GetProperty("index").GetInt32(),
            Long(i.GetProperty("count")),
            Long(i.GetProperty("mean_us")),
            Long(i.GetProperty("min_us")),
            Long(i.GetProperty("max_us"))))]);

    private static TokenStreamChecksum ParseChecksum(JsonElement shard) => new(
        Long(shard.GetProperty("tokens")),
        Long(shard.GetProperty("subjects")),
        Huge(shard.GetProperty("token_sum")),
        Huge(shard.GetProperty("time_sum")),
        Huge(shard.GetProperty("position_weighted_token_sum")),
        Long(shard.GetProperty("static_entries")),
        Huge(shard.GetProperty("static_token_sum")),
        Long(shard.GetProperty("births")),
        Huge(shard.GetProperty("birth_sum")));

    // DuckDB's 64- and 128-bit integers arrive as decimal strings (JSON numbers would lose digits above 2^53).
    private static long Long(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? long.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetInt64();

    private static Int128 Huge(JsonElement value) => Int128.Parse(value.GetString()!, CultureInfo.InvariantCulture);

    // FLOAT values arrive widened to double, so narrowing them back is exact.
    private static float[] Floats(JsonElement list) => [.. list.EnumerateArray().Select(v => (float)v.GetDouble())];
}
