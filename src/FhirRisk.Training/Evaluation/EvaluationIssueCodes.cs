namespace FhirRisk.Training.Evaluation;

/// <summary>Stable codes of the problems evaluation inputs can have (docs/formats/predictions.md, docs/evaluation.md).</summary>
public static class EvaluationIssueCodes
{
    /// <summary>A required column is absent from a predictions file, or has the wrong type.</summary>
    public const string Schema = "predictions.schema";

    /// <summary>The file says it is a predictions file of a version this reader does not know.</summary>
    public const string Version = "predictions.version";

    /// <summary>A null in a required value, a NaN or out-of-range probability, or a replicate without a k.</summary>
    public const string Value = "predictions.value";

    /// <summary>The same run predicts the same point twice (often: one file given twice).</summary>
    public const string DuplicateRow = "predictions.duplicate-row";

    /// <summary>Two rows give one point of a task different labels: the files come from different label sets.</summary>
    public const string LabelConflict = "predictions.label-conflict";

    /// <summary>The runs of one task do not cover the same prediction points, so their metrics are not comparable.</summary>
    public const string PointMismatch = "predictions.point-mismatch";

    /// <summary>No rows at all in the inputs.</summary>
    public const string Empty = "predictions.empty";

    /// <summary>Warning: a task's labels hold one class only, so AUROC and AUPRC are undefined in every run of it.</summary>
    public const string OneClass = "evaluation.one-class";

    /// <summary>Warning: fewer than 10 patients of a task have a label of one class, so its AUROC and AUPRC intervals
    /// rest on a handful of patients and may have left out replicates.</summary>
    public const string FewPatients = "evaluation.few-patients";

    /// <summary>Warning: points some run of a task predicted but not every run were left out, as asked
    /// (<see cref="PredictionSet.LeftOutPoints"/>): the metrics are those of the points all runs share.</summary>
    public const string LeftOutPoints = "evaluation.left-out-points";

    /// <summary>A few-shot pool lacks a class, so k examples per class cannot be drawn.</summary>
    public const string FewShotClassMissing = "fewshot.class-missing";
}
