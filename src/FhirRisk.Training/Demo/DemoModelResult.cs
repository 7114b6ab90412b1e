namespace FhirRisk.Training.Demo;

/// <summary>One stage of a demo run: its wall time and a one-line summary (counts only).</summary>
public sealed record DemoStageTime(string Stage, TimeSpan Elapsed, string Summary);

/// <summary>Sizes of the data the run made (counts only, no patient data).</summary>
/// <param name="Patients">Patients simulated.</param>
/// <param name="Events">MEDS events ingested.</param>
/// <param name="VocabularySize">Tokens in the fitted vocabulary.</param>
/// <param name="TrainTokens">Timeline tokens of the train split.</param>
/// <param name="TuningTokens">Timeline tokens of the tuning split.</param>
/// <param name="HeldOutPoints">Held-out (task, point) pairs every method was scored on.</param>
/// <param name="DroppedPoints">Held-out pairs left out because some method had no prediction there (see docs/demo-model.md).</param>
/// <param name="OracleMismatches">Held-out pairs whose label differs from the simulator's drawn outcome (0 expected).</param>
public sealed record DemoDataCounts(int Patients, long Events, int VocabularySize, long TrainTokens, long TuningTokens, int HeldOutPoints,
    int DroppedPoints, int OracleMismatches);

/// <summary>Pretraining and finetuning losses: training loss of the first and last step, tuning loss of the first and last evaluation.</summary>
public sealed record DemoLosses(double? PretrainFirst, double? PretrainLast, double? EvalFirst, double? EvalLast, double? EvalBest,
    double TokensPerSecond, double? FinetuneFirst, double? FinetuneLast);

/// <summary>One task's held-out numbers (NaN where undefined or the method did not run).</summary>
/// <param name="Task">The task.</param>
/// <param name="Points">Held-out points.</param>
/// <param name="Positives">Positives among them.</param>
/// <param name="Heads">The heads' AUROC, with its 95% bootstrap interval.</param>
/// <param name="HeadsEce">The heads' ECE (10 bins) after calibration.</param>
/// <param name="Probe">The embedding probe's all-data AUROC.</param>
/// <param name="CountBaseline">The count baseline's all-data AUROC.</param>
/// <param name="Oracle">The simulator's true probability's AUROC on the same points.</param>
/// <param name="CohortOracle">The simulator's oracle AUROC over the whole cohort (every split).</param>
/// <param name="ObservableOracle">The observable truth's AUROC on the same points (docs/simulator.md §6): a bound no
/// model reading the record beats on average; NaN where the truth has none.</param>
public sealed record DemoTaskResult(string Task, int Points, int Positives, (double Value, double Lower, double Upper) Heads, double HeadsEce,
    double Probe, double CountBaseline, double Oracle, double CohortOracle, double ObservableOracle = double.NaN)
{
    /// <summary>The oracle's AUROC minus the heads' on the same points with its 95% paired patient-bootstrap interval
    /// (<see cref="FhirRisk.Core.Statistics.PatientBootstrap.CompareAuroc"/>); NaN where either is missing.</summary>
    public (double Value, double Lower, double Upper) OracleGap { get; init; } = (double.NaN, double.NaN, double.NaN);

    /// <summary>The ECE a perfectly calibrated model would be expected to show on the heads' calibration bins, from
    /// sampling noise alone (<see cref="FhirRisk.Core.Statistics.BinaryMetrics.ExpectedCalibrationErrorIfCalibrated"/>);
    /// NaN where the heads did not run.</summary>
    public double HeadsEceIfCalibrated { get; init; } = double.NaN;

    /// <summary>The 95% patient-bootstrap interval of <see cref="DemoTaskResult.HeadsEce"/>; NaN where the heads did not run.</summary>
    public (double Lower, double Upper) HeadsEceInterval { get; init; } = (double.NaN, double.NaN);

    /// <summary>The record reference's AUROC on the same points (docs/simulator.md §6, an estimate of the best a model
    /// reading the record can do); NaN where the truth has none.</summary>
    public double RecordReference { get; init; } = double.NaN;

    /// <summary>The heads' AUROC minus the record reference's, with its 95% paired patient-bootstrap interval; NaN where
    /// either is missing.</summary>
    public (double Value, double Lower, double Upper) HeadsMinusRecord { get; init; } = (double.NaN, double.NaN, double.NaN);
}

/// <summary>
/// The finished heads scored on an independent simulated cohort (<see cref="DemoRecipe.ValidationPatients"/>, seeded
/// <see cref="DemoRecipe.ValidationSeed"/>): every labelled point of every split, beside the simulator's truth. Counts only.
/// </summary>
/// <param name="Patients">Patients simulated.</param>
/// <param name="Seed">The cohort's seed.</param>
/// <param name="Events">MEDS events ingested.</param>
/// <param name="Points">(task, point) pairs the heads and the oracle both scored.</param>
/// <param name="DroppedPoints">Pairs one of them lacked, left out of both.</param>
/// <param name="OracleMismatches">Pairs whose label differs from the simulator's drawn outcome (0 expected).</param>
/// <param name="Tasks">Per task, the heads against the oracle and the record reference (probe and counts NaN: not fitted here).</param>
public sealed record DemoValidation(int Patients, ulong Seed, long Events, int Points, int DroppedPoints, int OracleMismatches,
    IReadOnlyList<DemoTaskResult> Tasks);

/// <summary>The probe's and the count baseline's macro-AUROC at one k (null: all training data).</summary>
public sealed record DemoMacroPoint(int? KShot, double Probe, double CountBaseline, int Tasks);

/// <summary>What a demo run produced: where, from which recipe, how long each stage took, and the numbers.</summary>
public sealed record DemoModelResult(
    string OutputFolder,
    DemoRecipe Recipe,
    IReadOnlyList<DemoStageTime> Stages,
    DemoDataCounts Data,
    DemoLosses Losses,
    IReadOnlyList<DemoTaskResult> Tasks,
    IReadOnlyList<DemoMacroPoint> Macro,
    long OutputBytes)
{
    /// <summary>The heads on the independent validation cohort; null when the recipe simulates none.</summary>
    public DemoValidation? Validation { get; init; }

    /// <summary>Wall time of all stages.</summary>
    public TimeSpan Elapsed => Stages.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Elapsed);
}
