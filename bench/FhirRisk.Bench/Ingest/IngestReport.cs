using System.Globalization;
using FhirRisk.Bench.Infrastructure;
using FhirRisk.Meds.Ingestion;

namespace FhirRisk.Bench.Ingest;

/// <summary>Prints the <c>ingest</c> benchmark's tables: throughput beside the raw scan, events, peak memory.</summary>
internal sealed record IngestReport(
    int Files,
    long DecompressedBytes,
    long Tokens,
    double ScanMilliseconds,
    double IngestMilliseconds,
    FhirIngestionSummary Summary,
    long PeakInputBytes,
    int PeakCopies,
    IngestChildMeasurement Peak)
{
    private const double BytesPerMegabyte = 1024 * 1024;

    public void Write(TextWriter output, IReadOnlyList<TargetResult> targets)
    {
        output.WriteLine();
        output.WriteLine(Invariant($"{Files:N0} files, {DecompressedBytes / BytesPerMegabyte:N1} MB decompressed JSON, {Tokens:N0} tokens, {Summary.Resources:N0} resources"));
        output.WriteLine("throughput over the decompressed bytes; ratio = scan ms / ingest ms (the issue asks >= 0.4)");
        var times = new TextTable("operation", "ms", "MB/s", "resources/s", "events/s");
        times.AddRow("raw Utf8JsonReader token scan", Ms(ScanMilliseconds), Rate(DecompressedBytes / BytesPerMegabyte, ScanMilliseconds), "-", "-");
        times.AddRow("FhirIngestion → MEDS", Ms(IngestMilliseconds), Rate(DecompressedBytes / BytesPerMegabyte, IngestMilliseconds),
            Rate(Summary.Resources, IngestMilliseconds), Rate(Summary.Events, IngestMilliseconds));
        times.Write(output);

        output.WriteLine();
        var events = new TextTable("code family", "events");
        foreach (var (family, count) in Summary.EventsByCodeFamily)
            events.AddRow(family, Invariant($"{count:N0}"));
        events.AddRow("total", Invariant($"{Summary.Events:N0}"));
        events.Write(output);
        output.WriteLine(Invariant($"subjects {Summary.Subjects:N0}, quarantined {Summary.Quarantined:N0}, issues {Summary.IssuesByCode.Values.Sum():N0}"));

        output.WriteLine();
        var seconds = Peak.ElapsedMilliseconds / 1000;
        output.WriteLine(Invariant($"Peak: {PeakInputBytes / BytesPerMegabyte:N0} MB NDJSON ({PeakCopies} copies of the corpus), {Peak.Resources:N0} resources"));
        output.WriteLine(Invariant($"  {Peak.Events:N0} events, {Peak.Subjects:N0} subjects in {seconds:0.0} s ({PeakInputBytes / BytesPerMegabyte / seconds:0.0} MB/s)"));
        output.WriteLine(Invariant($"  peak RSS (VmHWM of the ingesting process): {Peak.PeakMegabytes:0.0} MB"));

        output.WriteLine();
        var table = new TextTable("target", "value", "target", "pass");
        foreach (var target in targets)
            table.AddRow(target.Metric, Invariant($"{target.Value:0.###}"), target.TargetText, target.Pass ? "yes" : "NO");
        table.Write(output);
    }

    private static string Ms(double milliseconds) => Invariant($"{milliseconds:N1}");

    private static string Rate(double amount, double milliseconds) => Invariant($"{amount / (milliseconds / 1000):N1}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
