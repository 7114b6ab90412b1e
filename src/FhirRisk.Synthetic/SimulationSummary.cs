using FhirRisk.Meds.Tasks;

namespace FhirRisk.Synthetic;

/// <summary>Progress of a run, for progress bars.</summary>
public readonly record struct SimulationProgress(int PatientsDone, int Patients);

/// <summary>The ground truth of one task over a run.</summary>
/// <param name="Task">The task name (<see cref="TaskCatalog.Names"/>).</param>
/// <param name="PredictionPoints">Rows in the truth file for the task.</param>
/// <param name="Positives">Realised positive outcomes.</param>
/// <param name="MeanProbability">Mean true probability (≈ the positive rate, by construction).</param>
/// <param name="OracleAuroc">AUROC of the true probability against the realised outcome: the best any model can do
/// on average (NaN when a class is empty).</param>
/// <param name="ObservableAuroc">AUROC of the observable probability (docs/simulator.md §6): a bound on any model that
/// reads the record (NaN where the truth has none).</param>
/// <param name="RecordAuroc">AUROC of the record reference (docs/simulator.md §6): the observable truth without the
/// frailty granted, an estimate of the best a model reading the record can do (NaN where not computed).</param>
public sealed record TaskTruthSummary(string Task, long PredictionPoints, long Positives, double MeanProbability, double OracleAuroc,
    double ObservableAuroc = double.NaN, double RecordAuroc = double.NaN)
{
    /// <summary>Realised positives over prediction points.</summary>
    public double PositiveRate => PredictionPoints == 0 ? double.NaN : (double)Positives / PredictionPoints;
}

/// <summary>The report of one <see cref="CohortSimulator.Run"/>.</summary>
/// <param name="Patients">Patients written.</param>
/// <param name="Deaths">Patients who died (in or out of hospital).</param>
/// <param name="Resources">Resources written per type, in manifest order.</param>
/// <param name="Tasks">Ground truth per task, in <see cref="TaskCatalog.Names"/> order.</param>
/// <param name="Elapsed">Wall-clock time of the run.</param>
public sealed record SimulationSummary(
    int Patients,
    int Deaths,
    IReadOnlyList<(string Type, long Count)> Resources,
    IReadOnlyList<TaskTruthSummary> Tasks,
    TimeSpan Elapsed)
{
    /// <summary>Resources written, all types.</summary>
    public long ResourceCount => Resources.Sum(r => r.Count);

    /// <summary>The summary of one task (<see cref="TaskCatalog.Names"/>).</summary>
    public TaskTruthSummary Task(string name) => Tasks.Single(t => t.Task == name);
}
