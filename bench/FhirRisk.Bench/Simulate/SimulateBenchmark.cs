using System.Globalization;
using FhirRisk.Bench.Ingest;

namespace FhirRisk.Bench.Simulate;

/// <summary>
/// <c>simulate</c> (issue 5: "bench simulate: 10,000 patients in &lt; 2 minutes on 2 cores"): the cohort simulator writing
/// its FHIR R4 Bulk Data export and ground truth, each run in a child process of its own (wall time, CPU time, peak RSS),
/// then our ingestion of the export (also a child). The target is absolute, so there is no peer.
/// </summary>
internal sealed class SimulateBenchmark : IBenchmark
{
    private const int FullPatients = 10_000;
    private const int QuickPatients = 1_000;
    private const ulong Seed = 42;
    private const double TargetSeconds = 120;

    public string Name => "simulate";

    public string Description => "cohort simulator: 10,000 patients to FHIR NDJSON + truth (< 2 min on 2 cores), then ingestion of the export";

    public BenchmarkOutcome Run(BenchmarkSettings settings)
    {
        var output = settings.Output;
        var patients = settings.Quick ? QuickPatients : FullPatients;
        var runCount = settings.Quick ? 2 : 3;
        var export = Path.Combine(settings.WorkDirectory, "export");
        var runs = new List<SimulateChildMeasurement>();
        var errors = new List<string>();
        for (var run = 1; run <= runCount; run++)
        {
            output.WriteLine(Invariant($"Simulation {run} of {runCount}: {patients:N0} patients, seed {Seed}, in a child process ..."));
            if (Directory.Exists(export))
                Directory.Delete(export, recursive: true);
            runs.Add(SimulateChild.Measure(export, patients, Seed, settings.WorkDirectory));
        }
        // The same seed must give the same cohort (docs/simulator.md §7): a run that wrote something else is not comparable.
        if (runs.Any(r => r.Resources != runs[0].Resources || r.Bytes != runs[0].Bytes))
            errors.Add("Runs with the same seed wrote different exports; the simulator is no longer deterministic.");

        output.WriteLine("Ingesting the last export in a child process ...");
        var ingest = IngestPeakChild.Measure(Path.Combine(settings.WorkDirectory, "meds"), [export], settings.WorkDirectory);
        if (ingest.Resources != runs[^1].Resources || ingest.Subjects != patients)
            errors.Add(Invariant($"Ingestion read {ingest.Resources:N0} resources of {ingest.Subjects:N0} subjects; the simulator wrote {runs[^1].Resources:N0} for {patients:N0} patients."));

        // The slowest run is held to the target: the bound must hold for every run, not the luckiest one.
        var targets = new[] { new TargetResult("wall_s", runs.Max(r => r.ElapsedMilliseconds) / 1000, TargetSeconds, TargetDirection.Below) };
        new SimulateReport(patients, runs, ingest).Write(output, targets);
        return new BenchmarkOutcome(targets, errors);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
