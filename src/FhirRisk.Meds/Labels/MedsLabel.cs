namespace FhirRisk.Meds;

/// <summary>
/// One row of a MEDS label file (<c>LabelSchema</c>, peers.md §5.1): the value of a task for a subject at a prediction
/// time. Data up to and including <see cref="PredictionTime"/> may be used (MEDS PR #32).
/// </summary>
/// <param name="SubjectId">The subject.</param>
/// <param name="PredictionTime">Naive time at microsecond precision, inclusive.</param>
/// <param name="BooleanValue">Binary label (most tasks).</param>
/// <param name="IntegerValue">Integer label.</param>
/// <param name="FloatValue">Real-valued label (float32 in v0.4; v0.3.3 files store float64, narrowed on read).</param>
/// <param name="CategoricalValue">Categorical label.</param>
public readonly record struct MedsLabel(
    long SubjectId,
    DateTime PredictionTime,
    bool? BooleanValue = null,
    long? IntegerValue = null,
    float? FloatValue = null,
    string? CategoricalValue = null);
