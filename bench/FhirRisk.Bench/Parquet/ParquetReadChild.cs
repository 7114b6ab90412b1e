using System.Globalization;
using System.Text.Json;
using FhirRisk.Bench.Infrastructure;
using FhirRisk.Parquet;

namespace FhirRisk.Bench.Parquet;

/// <summary>
/// Hidden verb <c>parquet-read-child &lt;file&gt; [--repeat N]</c>: streams every row group of a MEDS file with
/// <see cref="ParquetFileReader"/> on one thread, computing <see cref="MedsAggregates"/>, and prints one JSON object
/// with the best time, the process's peak RSS and the aggregates. It runs in its own process so the peak RSS is the
/// streaming read's alone.
/// </summary>
internal sealed class ParquetReadChild : IBenchmarkChildVerb
{
    public const string VerbName = "parquet-read-child";

    public string Verb => VerbName;

    public int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        var (path, repeats) = ParseArguments(arguments);
        MedsAggregates? aggregates = null;
        var rowGroups = 0;
        var bestMs = BestOfTimer.MeasureMilliseconds(repeats, () =>
        {
            using var reader = ParquetFileReader.Open(path);
            var accumulator = new MedsAggregateAccumulator();
            foreach (var rowGroup in reader.ReadRowGroups())
                accumulator.Add(rowGroup);
            aggregates = accumulator.Result;
            rowGroups = reader.RowGroupCount;
        });

        WriteAnswer(output, bestMs, PeakMemory.PeakResidentMegabytes(), rowGroups, aggregates!);
        return 0;
    }

    /// <summary>Starts the child on <paramref name="path"/> and parses its answer.</summary>
    public static ParquetReadMeasurement Measure(string path, int repeats, string workDirectory)
    {
        var json = SelfProcess.RunChildVerb(VerbName, [path, "--repeat", repeats.ToString(CultureInfo.InvariantCulture)],
            workDirectory, TimeSpan.FromMinutes(10));
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return new ParquetReadMeasurement(
                root.GetProperty("best_ms").GetDouble(),
                root.GetProperty("peak_mb").GetDouble(),
                root.GetProperty("row_groups").GetInt32(),
                MedsAggregates.FromJson(root.GetProperty("aggregates")));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException)
        {
            throw new BenchmarkException($"{VerbName} printed an unexpected answer: {json}", ex);
        }
    }

    private static (string Path, int Repeats) ParseArguments(IReadOnlyList<string> arguments)
    {
        var repeats = 1;
        if (arguments.Count == 3 && arguments[1] == "--repeat" && int.TryParse(arguments[2], CultureInfo.InvariantCulture, out var n) && n >= 1)
            repeats = n;
        else if (arguments.Count != 1)
            throw new BenchmarkException($"Usage: {VerbName} <file.parquet> [--repeat N]");
        if (!File.Exists(arguments[0]))
            throw new BenchmarkException($"{arguments[0]} does not exist.");
        return (arguments[0], repeats);
    }

    private static void WriteAnswer(TextWriter output, double bestMs, double peakMb, int rowGroups, MedsAggregates aggregates)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("best_ms", bestMs);
            writer.WriteNumber("peak_mb", peakMb);
            writer.WriteNumber("row_groups", rowGroups);
            writer.WritePropertyName("aggregates");
            aggregates.WriteJson(writer);
            writer.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}

/// <summary>What one <see cref="ParquetReadChild"/> run measured.</summary>
internal sealed record ParquetReadMeasurement(double BestMilliseconds, double PeakMegabytes, int RowGroups, MedsAggregates Aggregates);
