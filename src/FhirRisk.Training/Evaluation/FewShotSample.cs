namespace FhirRisk.Training.Evaluation;

/// <summary>A labeled prediction point: who, when, and the outcome. Learners look up their own features for it.</summary>
public readonly record struct LabeledPoint(long SubjectId, DateTime PredictionTime, bool Label);

/// <summary>
/// The training data of one few-shot run: k examples per class from the training pool and, drawn the same way, from the
/// tuning pool (for a learner's hyperparameter choice, as EHRSHOT does). For the all-data run <see cref="KShot"/> is
/// null and the samples are the whole pools.
/// </summary>
public sealed record FewShotSample(string Task, int? KShot, int Replicate, IReadOnlyList<LabeledPoint> Train, IReadOnlyList<LabeledPoint> Tuning);

/// <summary>The data of one task for a few-shot experiment: the pools to draw from and the fixed test set.</summary>
public sealed record FewShotTask(string Name, IReadOnlyList<LabeledPoint> Train, IReadOnlyList<LabeledPoint> Tuning, IReadOnlyList<LabeledPoint> Test);

/// <summary>
/// A method that can be trained on a few-shot sample and then scores the test points: the linear probe on frozen
/// embeddings, the count baseline, or task heads. It is called once per (task, k, replicate) and must not keep state
/// from one call to the next.
/// </summary>
public interface IFewShotLearner
{
    /// <summary>The method name written to the predictions file (e.g. <c>probe</c>, <c>count_baseline</c>).</summary>
    string Method { get; }

    /// <summary>Trains on <paramref name="sample"/> and returns a probability in [0, 1] for each of <paramref name="test"/>, in order.</summary>
    IReadOnlyList<double> FitAndPredict(FewShotSample sample, IReadOnlyList<LabeledPoint> test, CancellationToken cancellationToken);
}
