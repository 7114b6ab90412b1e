using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Probes;

/// <summary>The outcome of <see cref="ProbeRun.Run"/>.</summary>
/// <param name="Method">The method name of the predictions.</param>
/// <param name="FeatureColumns">Features per point.</param>
/// <param name="Points">Distinct prediction points featurized (all tasks together).</param>
/// <param name="Tasks">Per task: the points of each split and, when it could not be fitted, why.</param>
/// <param name="Fits">What every fit chose.</param>
/// <param name="Predictions">The test split's predictions of every fitted task and training condition.</param>
public sealed record ProbeResult(string Method, int FeatureColumns, int Points, IReadOnlyList<ProbeTaskSummary> Tasks, IReadOnlyList<ProbeFit> Fits, IReadOnlyList<Prediction> Predictions);

/// <summary>One task's labeled points by split.</summary>
/// <param name="Task">The task.</param>
/// <param name="Train">Points and positives in the train split.</param>
/// <param name="Tuning">Points and positives in the tuning split (pooled with train for fitting).</param>
/// <param name="Test">Points and positives in the test split.</param>
/// <param name="Unmatched">Labels whose subject is in none of the three splits of the dataset.</param>
/// <param name="SkipReason">Why the task was not fitted (a class missing from training, no test points); null when fitted.</param>
public sealed record ProbeTaskSummary(string Task, PointCount Train, PointCount Tuning, PointCount Test, int Unmatched, string? SkipReason);

/// <summary>Labeled points and how many are positive.</summary>
public readonly record struct PointCount(int Points, int Positives);
