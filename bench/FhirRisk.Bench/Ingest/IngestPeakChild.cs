using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FhirRisk.Bench.Infrastructure;
using FhirRisk.Core;
using FhirRisk.Meds;
using FhirRisk.Meds.Ingestion;

namespace FhirRisk.Bench.Ingest;

/// <summary>
/// Hidden verb <c>ingest-child &lt;out-dir&gt; &lt;input&gt;…</c>: runs <see cref="FhirIngestion"/> once in a process of
/// its own and prints one JSON object with the elapsed time, events written and the process's peak RSS (VmHWM), so
/// the peak is the ingestion's alone (issue 3: peak memory &lt; 400 MB on ≥ 1 GB of NDJSON).
/// </summary>
internal sealed class IngestPeakChild : IBenchmarkChildVerb
{
    public const string VerbName = "ingest-child";

    public string Verb => VerbName;

    public int Run(IReadOnlyList<string> arguments, TextWriter output)
    {
        if (arguments.Count < 2)
            throw new BenchmarkException($"Usage: {VerbName} <out-dir> <input>...");
        var settings = new FhirIngestionSettings
        {
            OutputFolder = arguments[0],
            TempFolder = Path.Combine(arguments[0], "..", Path.GetFileName(arguments[0]) + "-spool"),
            Writer = MedsDatasetWriterSettings.Default with { Clock = new FixedClock(DateTimeOffset.UnixEpoch) },
        };
        var watch = Stopwatch.StartNew();
        var summary = new FhirIngestion(settings).Run(arguments.Skip(1).ToArray());
        var elapsed = watch.Elapsed.TotalMilliseconds;

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("elapsed_ms", elapsed);
            writer.WriteNumber("peak_mb", PeakMemory.PeakResidentMegabytes());
            writer.WriteNumber("events", summary.Events);
            writer.WriteNumber("subjects", summary.Subjects);
            writer.WriteNumber("resources", summary.Resources);
            writer.WriteNumber("quarantined", summary.Quarantined);
            writer.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        return 0;
    }

    /// <summary>Runs the child and parses its answer.</summary>
    public static IngestChildMeasurement Measure(string outputFolder, IEnumerable<string> inputs, string workDirectory)
    {
        var json = SelfProcess.RunChildVerb(VerbName, inputs.Prepend(outputFolder), workDirectory, TimeSpan.FromMinutes(60));
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return new IngestChildMeasurement(
                root.GetProperty("elapsed_ms").GetDouble(),
                root.GetProperty("peak_mb").GetDouble(),
                root.GetProperty("events").GetInt64(),
                root.GetProperty("subjects").GetInt32(),
                root.GetProperty("resources").GetInt64());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new BenchmarkException(string.Create(CultureInfo.InvariantCulture, $"{VerbName} printed an unexpected answer: {json}"), ex);
        }
    }
}

/// <summary>What one <see cref="IngestPeakChild"/> run measured.</summary>
internal sealed record IngestChildMeasurement(double ElapsedMilliseconds, double PeakMegabytes, long Events, int Subjects, long Resources);
