namespace FhirRisk.Training.Linear;

/// <summary>How <see cref="LogisticRegression.Fit"/> scales features and when its L-BFGS solver stops.</summary>
public sealed record LogisticRegressionSettings
{
    public static readonly LogisticRegressionSettings Default = new();

    /// <summary>Feature scaling before the penalty (default <see cref="FeatureScaling.Standardize"/>).</summary>
    public FeatureScaling Scaling { get; init; } = FeatureScaling.Standardize;

    /// <summary>
    /// The solver stops when every partial derivative of the mean objective (see <see cref="LogisticRegression"/>) is at
    /// most this in absolute value (default 1e-8, in the scaled coordinates, intercept included). The coefficients are
    /// then within about this divided by the smallest Hessian eigenvalue (≥ 1/(C·n)) of the optimum.
    /// </summary>
    public double GradientTolerance { get; init; } = 1e-8;

    /// <summary>Most L-BFGS iterations (default 1000); a fit that reaches it is returned with <c>Converged</c> false.</summary>
    public int MaxIterations { get; init; } = 1000;

    /// <summary>Correction pairs L-BFGS keeps (default 10, as SciPy's L-BFGS-B).</summary>
    public int History { get; init; } = 10;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public LogisticRegressionSettings Validate()
    {
        if (!Enum.IsDefined(Scaling))
            throw new ArgumentException($"Scaling {Scaling} is not a FeatureScaling value.");
        if (!(GradientTolerance > 0))
            throw new ArgumentException($"GradientTolerance must be positive (was {GradientTolerance}).");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxIterations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(History, 1);
        return this;
    }
}
