using System.Diagnostics;
using FhirRisk.Core;
using FhirRisk.Meds;
using FhirRisk.Meds.Ingestion;
using FhirRisk.Synthetic;

namespace FhirRisk.Bench.Tokenize;

/// <summary>
/// The input of <c>bench tokenize</c>: a cohort from the simulator (docs/simulator.md) ingested by our FHIR ingestion,
/// so the MEDS shards are what the pipeline really tokenizes. The train split gets <see cref="TrainShards"/> shards
/// so that encoding can keep two cores busy, as `fhirrisk ingest --shards` would arrange on a real dataset.
/// </summary>
internal static class SimulatedMedsDataset
{
    public const int TrainShards = 4;

    /// <summary>Simulates <paramref name="patients"/> (seed 42) and ingests them into <paramref name="medsFolder"/>.</summary>
    public static (FhirIngestionSummary Ingestion, TimeSpan Simulate, TimeSpan Ingest) Create(int patients, string exportFolder, string medsFolder)
    {
        var watch = Stopwatch.StartNew();
        new CohortSimulator(new SimulationSettings { OutputFolder = exportFolder, Patients = patients, Seed = 42 }).Run();
        var simulate = watch.Elapsed;
        watch.Restart();
        var ingestion = new FhirIngestion(new FhirIngestionSettings
        {
            OutputFolder = medsFolder,
            Shards = TrainShards,
            Writer = MedsDatasetWriterSettings.Default with { Clock = new FixedClock(DateTimeOffset.UnixEpoch) },
        }).Run([exportFolder]);
        return (ingestion, simulate, watch.Elapsed);
    }
}
