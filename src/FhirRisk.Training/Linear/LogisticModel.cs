using FhirRisk.Core.Statistics;

namespace FhirRisk.Training.Linear;

/// <summary>
/// A fitted binary logistic regression on unscaled features: P(y = 1 | x) = σ(w·x + b). Immutable.
/// </summary>
/// <param name="Coefficients">w, one per feature column.</param>
/// <param name="Intercept">b, the unpenalised intercept.</param>
/// <param name="C">The inverse regularisation strength it was fitted with (scikit-learn's C).</param>
public sealed record LogisticModel(IReadOnlyList<double> Coefficients, double Intercept, double C)
{
    /// <summary>(rows) w·x + b for each row: log-odds, the score AUROC ranks.</summary>
    public double[] DecisionFunction(FeatureMatrix features)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Columns != Coefficients.Count)
            throw new ArgumentException($"The model has {Coefficients.Count} coefficients but the features have {features.Columns} columns.", nameof(features));
        var scores = new double[features.Rows];
        features.Multiply(Coefficients as double[] ?? [.. Coefficients], scores);
        for (var i = 0; i < scores.Length; i++)
            scores[i] += Intercept;
        return scores;
    }

    /// <summary>(rows) P(y = 1 | x) for each row.</summary>
    public double[] PredictProbabilities(FeatureMatrix features)
    {
        var scores = DecisionFunction(features);
        for (var i = 0; i < scores.Length; i++)
            scores[i] = LogisticFunctions.Sigmoid(scores[i]);
        return scores;
    }
}
