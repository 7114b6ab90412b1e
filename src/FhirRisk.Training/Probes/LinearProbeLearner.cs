using System.Collections.Concurrent;
using FhirRisk.Training.Evaluation;
using FhirRisk.Training.Linear;

namespace FhirRisk.Training.Probes;

/// <summary>
/// The logistic-regression learner of a probe or the count baseline in the few-shot protocol
/// (<see cref="FewShotExperiment"/>): it looks up the precomputed feature row of each point, pools the sample's train and
/// tuning examples (<see cref="ProbeRun"/> passes one pool, train and tuning splits together), chooses C by patient-grouped cross-validation on that pool (<see cref="RegularizationSearch"/>) and
/// scores the test points. Every call is independent; <see cref="Fits"/> only records what each chose.
/// </summary>
public sealed class LinearProbeLearner(string method, PointFeatures features, RegularizationSearchSettings search) : IFewShotLearner
{
    private readonly ConcurrentQueue<ProbeFit> _fits = new();

    public string Method { get; } = method;

    /// <summary>One record per <see cref="FitAndPredict"/> call, in call order.</summary>
    public IReadOnlyList<ProbeFit> Fits => [.. _fits];

    public IReadOnlyList<double> FitAndPredict(FewShotSample sample, IReadOnlyList<LabeledPoint> test, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(test);
        cancellationToken.ThrowIfCancellationRequested();
        var pool = sample.Train.Concat(sample.Tuning).ToArray();
        var labels = pool.Select(p => p.Label).ToArray();
        var groups = pool.Select(p => p.SubjectId).ToArray();
        var fit = RegularizationSearch.Fit(features.Rows(pool), labels, groups, search);
        var probabilities = fit.Model.PredictProbabilities(features.Rows(test));
        if (probabilities.Any(p => !double.IsFinite(p)))
            throw new TrainingException(ProbeErrorCodes.NonFinite, sample.Task, $"the {Method} model for k={sample.KShot?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "all"} gave a non-finite probability. Hint: check the features for extreme values.");
        var cvAuroc = fit.Scores.FirstOrDefault(s => s.C == fit.Model.C).Auroc;
        _fits.Enqueue(new ProbeFit(sample.Task, Method, sample.KShot, sample.Replicate, pool.Length, labels.Count(l => l), fit.Model.C, fit.Folds,
            fit.Folds == 0 ? null : cvAuroc, fit.Fit.Iterations, fit.Fit.Converged));
        return probabilities;
    }
}

/// <summary>What one fit chose (written to the run's fits file, docs/probes.md).</summary>
/// <param name="Task">The task.</param>
/// <param name="Method">The method.</param>
/// <param name="KShot">Examples per class, or null for the all-data run.</param>
/// <param name="Replicate">The few-shot replicate.</param>
/// <param name="Examples">Training examples (train and tuning pooled).</param>
/// <param name="Positives">Positive training examples.</param>
/// <param name="C">The chosen inverse regularisation strength.</param>
/// <param name="Folds">Cross-validation folds; 0 when too few examples and the fallback C was used.</param>
/// <param name="CrossValidatedAuroc">Mean validation AUROC of the chosen C; null without cross-validation.</param>
/// <param name="Iterations">L-BFGS iterations of the final fit.</param>
/// <param name="Converged">Whether the final fit reached the gradient tolerance.</param>
public sealed record ProbeFit(string Task, string Method, int? KShot, int Replicate, int Examples, int Positives, double C, int Folds,
    double? CrossValidatedAuroc, int Iterations, bool Converged);
