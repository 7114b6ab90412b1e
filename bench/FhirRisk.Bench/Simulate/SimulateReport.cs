using System.Globalization;
using FhirRisk.Bench.Engine;
using FhirRisk.Bench.Infrastructure;
using FhirRisk.Bench.Ingest;

namespace FhirRisk.Bench.Simulate;

/// <summary>Prints the <c>simulate</c> benchmark: every simulation run, the ingestion of the export, the target.</summary>
internal sealed record SimulateReport(int Patients, IReadOnlyList<SimulateChildMeasurement> Runs, IngestChildMeasurement Ingest)
{
    private const double BytesPerMegabyte = 1024 * 1024;

    public void Write(TextWriter output, IReadOnlyList<TargetResult> targets)
    {
        var last = Runs[^1];
        output.WriteLine();
        output.WriteLine(Invariant($"{Patients:N0} patients ({last.Deaths:N0} died): {last.Resources:N0} FHIR resources, {last.Bytes / BytesPerMegabyte:N0} MB of NDJSON + ground truth"));
        output.WriteLine(Invariant($"The simulator runs on one thread (patient after patient, streaming); user and system CPU time of the child on {Environment.ProcessorCount} cores"));
        var table = new TextTable("run", "wall s", "user s", "system s", "patients/s", "resources/s", "MB/s written", "peak RSS MB");
        for (var i = 0; i < Runs.Count; i++)
        {
            var run = Runs[i];
            var seconds = run.ElapsedMilliseconds / 1000;
            table.AddRow(Invariant($"simulate {i + 1}"), Invariant($"{seconds:0.00}"),
                Invariant($"{run.UserMilliseconds / 1000:0.00}"), Invariant($"{run.SystemMilliseconds / 1000:0.00}"),
                Invariant($"{run.Patients / seconds:N0}"), Invariant($"{run.Resources / seconds:N0}"),
                Invariant($"{run.Bytes / BytesPerMegabyte / seconds:N0}"), Invariant($"{run.PeakMegabytes:0.0}"));
        }
        table.Write(output);

        output.WriteLine();
        var ingestSeconds = Ingest.ElapsedMilliseconds / 1000;
        output.WriteLine(Invariant($"Ingestion of the export (FhirIngestion, child process): {ingestSeconds:0.0} s, {Ingest.Resources:N0} resources → {Ingest.Events:N0} MEDS events of {Ingest.Subjects:N0} subjects"));
        output.WriteLine(Invariant($"  {Ingest.Resources / ingestSeconds:N0} resources/s, {Ingest.Events / ingestSeconds:N0} events/s, {last.Bytes / BytesPerMegabyte / ingestSeconds:N0} MB/s; peak RSS {Ingest.PeakMegabytes:0.0} MB"));
        output.WriteLine(Invariant($"simulate + ingest: {(last.ElapsedMilliseconds + Ingest.ElapsedMilliseconds) / 1000:0.0} s (last run)"));
        output.WriteLine();
        output.WriteLine("target: the slowest simulation run, in seconds (no peer: the issue's target is absolute)");
        TargetTable.Write(output, targets);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
