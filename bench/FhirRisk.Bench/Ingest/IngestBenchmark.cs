using System.Diagnostics;
using System.Globalization;
using FhirRisk.Bench.Infrastructure;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Meds;
using FhirRisk.Meds.Ingestion;

namespace FhirRisk.Bench.Ingest;

/// <summary>
/// <c>ingest</c>: <see cref="FhirIngestion"/> (two passes, parse, map, spool, MEDS Parquet) on the MIMIC-IV demo FHIR
/// files and the Synthea corpus, beside a raw <see cref="System.Text.Json.Utf8JsonReader"/> token scan of the same
/// decompressed bytes in the same run (issue 3: throughput ≥ 40% of the scan), and peak memory of an ingestion of a
/// ≥ 1 GB NDJSON file in a child process (&lt; 400 MB).
/// </summary>
internal sealed class IngestBenchmark : IBenchmark
{
    private const long FullPeakBytes = 1L << 30;
    private const long QuickPeakBytes = 48L << 20;
    private const int QuickCorpusFiles = 24;
    private const double BytesPerMegabyte = 1024 * 1024;

    public string Name => "ingest";

    public string Description => "FHIR R4 → MEDS ingestion throughput vs a raw Utf8JsonReader token scan; peak memory on >= 1 GB NDJSON";

    public BenchmarkOutcome Run(BenchmarkSettings settings)
    {
        var output = settings.Output;
        var data = ExternalData.FindRoot(settings.RepositoryRoot);
        var corpus = Directory.GetFiles(Path.Combine(data, "fhir", "synthea-r4-corpus"), "*.json*").Order(StringComparer.Ordinal).ToArray();
        string[] inputs = settings.Quick
            ? [Path.Combine(data, "fhir", "bulk-ndjson-10-patients"), .. corpus.Take(QuickCorpusFiles)]
            : [Path.Combine(data, "mimic-iv-demo", "mimic-iv-fhir-demo-2.1.0", "fhir"), Path.Combine(data, "fhir", "synthea-r4-corpus")];
        var files = FhirInputDiscovery.Discover(inputs, new List<Issue>()).Select(f => f.Path).ToArray();

        // JIT and first-touch costs are paid on a small input of both kinds (NDJSON, bundles) before anything is timed.
        Ingest(Path.Combine(settings.WorkDirectory, "warm-up"), [Path.Combine(data, "fhir", "bulk-ndjson-10-patients"), .. corpus.Take(3)]);
        RawTokenScan.Scan(files.Take(3));

        output.WriteLine($"Raw Utf8JsonReader token scan of {files.Length:N0} files ...");
        (long Bytes, long Tokens) scan = default;
        var scanMs = BestOfTimer.MeasureMilliseconds(settings.Quick ? 2 : 3, () => scan = RawTokenScan.Scan(files));
        output.WriteLine($"FhirIngestion of the same inputs ...");
        FhirIngestionSummary? summary = null;
        // Measured like the scan, best of the same number of runs: both are then equally sheltered from a noisy neighbour.
        var runs = 0;
        var ingestMs = BestOfTimer.MeasureMilliseconds(settings.Quick ? 2 : 3,
            () => summary = Ingest(Path.Combine(settings.WorkDirectory, $"meds-{++runs}"), inputs));

        var errors = new List<string>();
        var validation = MedsValidator.Validate(Path.Combine(settings.WorkDirectory, $"meds-{runs}"));
        if (!MedsValidator.IsValid(validation))
            errors.Add($"The ingested dataset is not valid MEDS: {validation.First(i => i.Severity == IssueSeverity.Error)}");

        var peak = MeasurePeak(settings, corpus, errors);
        var targets = new[]
        {
            new TargetResult("throughput_ratio", scanMs / ingestMs, 0.4, TargetDirection.AtLeast),
            new TargetResult("peak_mb", peak.Measurement.PeakMegabytes, 400, TargetDirection.Below),
        };
        new IngestReport(files.Length, scan.Bytes, scan.Tokens, scanMs, ingestMs, summary!, peak.Bytes, peak.Copies, peak.Measurement)
            .Write(output, targets);
        return new BenchmarkOutcome(targets, errors);
    }

    private static (long Bytes, int Copies, IngestChildMeasurement Measurement) MeasurePeak(BenchmarkSettings settings, string[] corpus, List<string> errors)
    {
        var output = settings.Output;
        var target = settings.Quick ? QuickPeakBytes : FullPeakBytes;
        var ndjson = Path.Combine(settings.WorkDirectory, "corpus-copies.ndjson");
        output.WriteLine(Invariant($"Writing {target / BytesPerMegabyte:N0} MB of NDJSON from the Synthea corpus (fresh ids per copy) ..."));
        var watch = Stopwatch.StartNew();
        var (bytes, resources, copies) = NdjsonCorpusMultiplier.Write(corpus, ndjson, target);
        output.WriteLine(Invariant($"  {bytes / BytesPerMegabyte:N0} MB, {resources:N0} resources, {copies} copies in {watch.Elapsed.TotalSeconds:0.0} s"));
        output.WriteLine("FhirIngestion of it in a child process (peak RSS) ...");
        var measurement = IngestPeakChild.Measure(Path.Combine(settings.WorkDirectory, "meds-peak"), [ndjson], settings.WorkDirectory);
        if (measurement.Resources != resources)
            errors.Add(Invariant($"The child read {measurement.Resources:N0} resources from the NDJSON file; {resources:N0} were written."));
        File.Delete(ndjson);
        return (bytes, copies, measurement);
    }

    private static FhirIngestionSummary Ingest(string outputFolder, IReadOnlyList<string> inputs) => new FhirIngestion(new FhirIngestionSettings
    {
        OutputFolder = outputFolder,
        Writer = MedsDatasetWriterSettings.Default with { Clock = new FixedClock(DateTimeOffset.UnixEpoch) },
    }).Run(inputs);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
