using FhirRisk.Synthetic;
using FhirRisk.Training.Demo;

namespace FhirRisk.Cli.Commands;

/// <summary>The demo pipeline's cohort from the ground-truth simulator (docs/simulator.md): the host wires the two
/// together because the training library may not reference the simulator (DESIGN §2).</summary>
internal sealed class SimulatedDemoCohort : IDemoCohortSource
{
    /// <summary>The truth file's name beside the export (docs/formats/simulator-truth.md).</summary>
    private const string TruthFileName = "ground_truth.parquet";

    public SimulatedCohort Write(string folder, int patients, ulong seed, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var settings = new SimulationSettings { OutputFolder = folder, Patients = patients, Seed = seed };
        var summary = new CohortSimulator(settings).Run(progress is null ? null : new Relay(progress), cancellationToken);
        var oracle = summary.Tasks.ToDictionary(t => t.Task, t => t.OracleAuroc, StringComparer.Ordinal);
        return new SimulatedCohort(folder, Path.Combine(folder, TruthFileName), oracle);
    }

    private sealed class Relay(IProgress<(int Done, int Total)> inner) : IProgress<SimulationProgress>
    {
        public void Report(SimulationProgress value) => inner.Report((value.PatientsDone, value.Patients));
    }
}
