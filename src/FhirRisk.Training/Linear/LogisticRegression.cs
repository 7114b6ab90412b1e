namespace FhirRisk.Training.Linear;

/// <summary>
/// L2-regularised binary logistic regression, our own implementation in double (issue 6 §3), checked against
/// scikit-learn (tools/reference/logreg_reference.py). It minimises
/// <code>(1/n) Σᵢ [log(1 + e^{zᵢ}) − yᵢ·zᵢ] + ‖v‖² / (2·C·n),   zᵢ = x̃ᵢ·v + b,  yᵢ ∈ {0, 1}</code>
/// over the scaled features x̃ (<see cref="LogisticRegressionSettings.Scaling"/>), which is scikit-learn's
/// <c>LogisticRegression(penalty="l2", C)</c> objective divided by C·n: the same optimum, with C meaning the same. The
/// intercept b is not penalised. Solved by L-BFGS to <see cref="LogisticRegressionSettings.GradientTolerance"/>;
/// deterministic for a given input. <see cref="RegularizationSearch"/> chooses C by cross-validation.
/// </summary>
public static class LogisticRegression
{
    /// <summary>Fits the model for a fixed <paramref name="c"/>; throws <see cref="ArgumentException"/> unless both classes occur.</summary>
    public static LogisticFit Fit(FeatureMatrix features, ReadOnlySpan<bool> labels, double c, LogisticRegressionSettings? settings = null)
    {
        settings = (settings ?? LogisticRegressionSettings.Default).Validate();
        var problem = new LogisticProblem(features, labels, settings.Scaling);
        var theta = problem.InitialParameters();
        var result = problem.Solve(c, theta, settings);
        return LogisticFit.From(problem.ToModel(theta, c), result);
    }
}

/// <summary>A fitted model and how its solve ended.</summary>
/// <param name="Model">The model on unscaled features.</param>
/// <param name="Iterations">L-BFGS iterations.</param>
/// <param name="Objective">The mean objective at the solution.</param>
/// <param name="GradientNorm">max |∂f/∂θ| at the solution (scaled coordinates).</param>
/// <param name="Converged">Whether the gradient reached the tolerance (false: iteration limit, or a line search that
/// could make no progress — the model is still the best point found).</param>
public sealed record LogisticFit(LogisticModel Model, int Iterations, double Objective, double GradientNorm, bool Converged)
{
    internal static LogisticFit From(LogisticModel model, LbfgsResult result) =>
        new(model, result.Iterations, result.Objective, result.GradientNorm, result.Status == LbfgsStatus.Converged);
}
