using System.Diagnostics;
using System.Globalization;
using FhirRisk.Bench.Infrastructure;
using FhirRisk.Parquet;

namespace FhirRisk.Bench.Parquet;

/// <summary>
/// <c>parquet</c>: writes a realistic MEDS shard with <see cref="ParquetFileWriter"/> (zstd, default options) and
/// reads it back streaming with <see cref="ParquetFileReader"/>, beside DuckDB writing and reading the same data on
/// one thread in the same run. Every reader's aggregates must equal the generated shard's.
/// </summary>
internal sealed class ParquetBenchmark : IBenchmark
{
    private const int QuickRows = 1_000_000;
    private const int FullRows = 10_000_000;
    private const int WarmUpRows = 100_000;

    public string Name => "parquet";

    public string Description => "write + single-threaded streaming read of a MEDS shard (zstd), FhirRisk.Parquet vs DuckDB";

    public BenchmarkOutcome Run(BenchmarkSettings settings)
    {
        var output = settings.Output;
        var rows = settings.Quick ? QuickRows : FullRows;
        var repeats = settings.Quick ? 2 : 3;
        var ourFile = Path.Combine(settings.WorkDirectory, "fhirrisk.parquet");
        var duckDbFile = Path.Combine(settings.WorkDirectory, "duckdb.parquet");

        var (expected, writeMs) = GenerateAndWrite(rows, repeats, ourFile, settings);

        output.WriteLine($"DuckDB (Node.js, 1 thread): load our file, COPY to zstd and read both files, best of {repeats} ...");
        var duckDb = DuckDbParquetPeer.Measure(new NodeInterop(settings.RepositoryRoot, output), ourFile, duckDbFile, repeats);
        output.WriteLine($"FhirRisk read of our file in a child process, best of {repeats} ...");
        var ourRead = ParquetReadChild.Measure(ourFile, repeats, settings.WorkDirectory);

        var errors = new List<string>();
        CheckAggregates("DuckDB reading FhirRisk's file", expected, duckDb.InputAggregates, errors);
        CheckAggregates("DuckDB reading its own file", expected, duckDb.OutputAggregates, errors);
        CheckAggregates("FhirRisk reading its own file", expected, ourRead.Aggregates, errors);
        var ourReadOfDuckDb = MeasureReadOfDuckDbFile(duckDbFile, repeats, settings.WorkDirectory, errors);
        if (ourReadOfDuckDb is not null)
            CheckAggregates("FhirRisk reading DuckDB's file", expected, ourReadOfDuckDb.Aggregates, errors);

        var targets = new[]
        {
            new TargetResult("read_speed_ratio", duckDb.ReadInputMilliseconds / ourRead.BestMilliseconds, 0.5, TargetDirection.AtLeast),
            new TargetResult("write_speed_ratio", duckDb.WriteMilliseconds / writeMs, 0.5, TargetDirection.AtLeast),
            new TargetResult("read_peak_mb", ourRead.PeakMegabytes, 300, TargetDirection.Below),
        };
        var report = new ParquetReport(rows, repeats, writeMs, ourRead, ourReadOfDuckDb, duckDb, ourFile, duckDbFile);
        report.Write(output, targets, errors.Count == 0);
        return new BenchmarkOutcome(targets, errors);
    }

    /// <summary>Generates the shard, warms the writer up on a small one, then times full writes (best of N).</summary>
    private static (MedsAggregates Expected, double WriteMs) GenerateAndWrite(int rows, int repeats, string ourFile, BenchmarkSettings settings)
    {
        var output = settings.Output;
        var watch = Stopwatch.StartNew();
        var shard = MedsShardGenerator.Generate(rows);
        output.WriteLine($"Generated {MedsShardProfile.Describe(shard)} in {watch.Elapsed.TotalSeconds:0.0} s");
        var expected = MedsAggregateAccumulator.Of(shard);

        // JIT and first-touch costs are paid here, not inside the timed writes.
        WriteFile(MedsShardGenerator.Generate(WarmUpRows, seed: 7), Path.Combine(settings.WorkDirectory, "warm-up.parquet"));
        output.WriteLine($"FhirRisk write (zstd, default options), best of {repeats} ...");
        var writeMs = BestOfTimer.MeasureMilliseconds(repeats, () => WriteFile(shard, ourFile));
        return (expected, writeMs);
    }

    private static void WriteFile(MedsShard shard, string path)
    {
        using var writer = ParquetFileWriter.Create(path, MedsShard.Schema, ParquetWriterOptions.Default);
        writer.WriteRowGroup(shard.ToColumns());
    }

    /// <summary>Informational: our reader on DuckDB's file. A failure is reported as an error after the table.</summary>
    private static ParquetReadMeasurement? MeasureReadOfDuckDbFile(string duckDbFile, int repeats, string workDirectory, List<string> errors)
    {
        try
        {
            return ParquetReadChild.Measure(duckDbFile, repeats, workDirectory);
        }
        catch (BenchmarkException ex)
        {
            errors.Add($"FhirRisk could not read DuckDB's file: {ex.Message}");
            return null;
        }
    }

    private static void CheckAggregates(string who, MedsAggregates expected, MedsAggregates actual, List<string> errors)
    {
        var differences = expected.Differences(actual);
        if (differences.Count > 0)
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{who}: aggregates differ from the generated shard (expected vs read): {string.Join("; ", differences)}"));
    }
}
