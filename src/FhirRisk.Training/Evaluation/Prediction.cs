namespace FhirRisk.Training.Evaluation;

/// <summary>
/// One row of a predictions file (docs/formats/predictions.md): what a method predicted for a task at one labeled
/// prediction point, beside the label.
/// </summary>
/// <param name="SubjectId">The patient; the bootstrap resamples patients.</param>
/// <param name="PredictionTime">The prediction point (naive time, microsecond precision), as in the MEDS label file.</param>
/// <param name="Task">Task name (docs/tasks.md), e.g. <c>hospital_mortality</c>.</param>
/// <param name="Method">What predicted it, e.g. <c>heads</c>, <c>probe</c>, <c>count_baseline</c>, <c>rollouts</c>.</param>
/// <param name="Probability">Predicted probability of the positive label, in [0, 1].</param>
/// <param name="Label">The observed label.</param>
/// <param name="KShot">Training examples per class of a few-shot run; null when the method was trained on all data.</param>
/// <param name="Replicate">The few-shot replicate (0-based); null when <paramref name="KShot"/> is null.</param>
public readonly record struct Prediction(
    long SubjectId,
    DateTime PredictionTime,
    string Task,
    string Method,
    double Probability,
    bool Label,
    int? KShot = null,
    int? Replicate = null)
{
    /// <summary>The run this row belongs to.</summary>
    public PredictionRun Run => new(Task, Method, KShot, Replicate);
}

/// <summary>The rows one method produced for one task in one training condition: the unit metrics are computed over.</summary>
public readonly record struct PredictionRun(string Task, string Method, int? KShot, int? Replicate)
{
    public override string ToString() =>
        KShot is null ? $"{Task}/{Method}" : $"{Task}/{Method}/k={KShot}/replicate {Replicate}";
}
