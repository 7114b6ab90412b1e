using System.Diagnostics;
using System.Globalization;
using FhirRisk.Synthetic.Evaluation;
using FhirRisk.Synthetic.Fhir;
using FhirRisk.Synthetic.Model;
using FhirRisk.Synthetic.Truth;

namespace FhirRisk.Synthetic;

/// <summary>
/// The ground-truth cohort simulator (issue 5 item 4; model in docs/simulator.md): patients → a FHIR R4 Bulk Data
/// export (one NDJSON file per resource type and <c>manifest.json</c>) and <c>ground_truth.parquet</c>, the true
/// probability of every task at every prediction point with the outcome drawn from it.
/// </summary>
/// <remarks>
/// Streaming: one patient is generated, written and dropped before the next, so memory holds one patient, a 1 MiB
/// buffer per output file, one truth row group and, per prediction point, the three probabilities and the outcome for
/// the AUROCs (25 bytes) — not the cohort. Each patient's draws depend only on (seed, patient index), so the output is
/// byte-identical for the same settings.
/// </remarks>
public sealed class CohortSimulator
{
    private readonly SimulationSettings _settings;

    public CohortSimulator(SimulationSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
    }

    /// <summary>Simulates the cohort and returns the per-task truth with the oracle AUROC.</summary>
    /// <exception cref="IOException">The output folder holds files.</exception>
    public SimulationSummary Run(IProgress<SimulationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var folder = Path.GetFullPath(_settings.OutputFolder);
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
            throw new IOException($"'{folder}' is not empty. Hint: simulate into a new folder (or delete the old output first).");
        Directory.CreateDirectory(folder);

        var simulator = new PatientSimulator(_settings);
        var tally = new TaskTally();
        var deaths = 0;
        using var export = new BulkNdjsonWriter(folder, FhirResourceTypes.All);
        using (var truth = new GroundTruthWriter(Path.Combine(folder, GroundTruthWriter.FileName), _settings.IngestionSource, RunMetadata()))
        {
            TimelineFhirWriter.WriteLocations(export);
            for (var index = 0; index < _settings.Patients; index++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var timeline = simulator.Simulate(index);
                TimelineFhirWriter.Write(timeline, export);
                foreach (var row in timeline.Truth)
                {
                    truth.Add(timeline.Profile.Id, row);
                    tally.Add(row.Task, row.Probability, row.Outcome, row.ObservableProbability, row.RecordProbability);
                }
                if (timeline.DeathTime is not null)
                    deaths++;
                if ((index + 1) % 256 == 0)
                    progress?.Report(new SimulationProgress(index + 1, _settings.Patients));
            }
        }
        export.Complete(_settings.WindowStart.AddDays(_settings.WindowDays), Request());
        progress?.Report(new SimulationProgress(_settings.Patients, _settings.Patients));
        return new SimulationSummary(_settings.Patients, deaths, export.Counts, tally.Summarize(), stopwatch.Elapsed);
    }

    private string Request() => string.Create(CultureInfo.InvariantCulture,
        $"fhirrisk simulate --patients {_settings.Patients} --seed {_settings.Seed}");

    private Dictionary<string, string> RunMetadata() => new(StringComparer.Ordinal)
    {
        ["fhirrisk.simulator.seed"] = _settings.Seed.ToString(CultureInfo.InvariantCulture),
        ["fhirrisk.simulator.patients"] = _settings.Patients.ToString(CultureInfo.InvariantCulture),
        ["fhirrisk.simulator.ingestion_source"] = _settings.IngestionSource,
    };
}
