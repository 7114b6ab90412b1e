using FhirRisk.Core.Statistics;

namespace FhirRisk.Training.Linear;

/// <summary>
/// One training set (features, labels, scaling) ready to be solved for any C, so that a regularisation path can
/// warm-start each C from the last solution. Works in scaled coordinates θ = (v, b): x̃ = (x − μ)/s, z = x̃·v + b, with
/// the centring folded into the intercept (z = x·(v/s) + b − μ·(v/s)) so a sparse matrix stays sparse.
/// </summary>
internal sealed class LogisticProblem
{
    private readonly FeatureMatrix _x;
    private readonly double[] _y;
    private readonly double[] _center;
    private readonly double[] _inverseScale;
    private readonly double[] _z;
    private readonly double[] _u;
    private readonly double[] _xtr;

    public LogisticProblem(FeatureMatrix features, ReadOnlySpan<bool> labels, FeatureScaling scaling)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (labels.Length != features.Rows)
            throw new ArgumentException($"{features.Rows} feature rows but {labels.Length} labels.", nameof(labels));
        if (!labels.Contains(true) || !labels.Contains(false))
            throw new ArgumentException("Logistic regression needs at least one positive and one negative example: with one class the unpenalised intercept has no finite optimum.", nameof(labels));
        _x = features;
        _y = new double[labels.Length];
        for (var i = 0; i < labels.Length; i++)
            _y[i] = labels[i] ? 1.0 : 0.0;
        (_center, _inverseScale) = Scaling(features, scaling);
        _z = new double[features.Rows];
        _u = new double[features.Columns];
        _xtr = new double[features.Columns];
        Prevalence = _y.Average();
    }

    public int Rows => _x.Rows;

    public int Columns => _x.Columns;

    private double Prevalence { get; }

    /// <summary>The starting point of a cold start: v = 0, b = logit(prevalence), the intercept-only optimum.</summary>
    public double[] InitialParameters()
    {
        var theta = new double[Columns + 1];
        theta[^1] = Math.Log(Prevalence / (1 - Prevalence));
        return theta;
    }

    /// <summary>Minimises the objective for <paramref name="c"/> starting from <paramref name="theta"/>, which holds the solution after.</summary>
    public LbfgsResult Solve(double c, double[] theta, LogisticRegressionSettings settings)
    {
        if (!(c > 0) || double.IsInfinity(c))
            throw new ArgumentOutOfRangeException(nameof(c), c, "C must be positive and finite.");
        var lambda = 1.0 / (c * Rows);
        return Lbfgs.Minimize((t, g) => Evaluate(t, g, lambda), theta, settings.GradientTolerance, settings.MaxIterations, settings.History);
    }

    /// <summary>The model on unscaled features: w = v / s, b' = b − μ·w.</summary>
    public LogisticModel ToModel(ReadOnlySpan<double> theta, double c)
    {
        var w = new double[Columns];
        var intercept = theta[^1];
        for (var j = 0; j < Columns; j++)
        {
            w[j] = theta[j] * _inverseScale[j];
            intercept -= _center[j] * w[j];
        }
        return new LogisticModel(w, intercept, c);
    }

    /// <summary>
    /// f(θ) = (1/n) Σᵢ [log(1 + e^{zᵢ}) − yᵢ zᵢ] + (λ/2)‖v‖² with λ = 1/(C·n) — scikit-learn's ½‖w‖² + C Σ log-loss divided
    /// by C·n, so C means what it means there — and its gradient.
    /// </summary>
    private double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient, double lambda)
    {
        var (n, d) = (Rows, Columns);
        var v = theta[..d];
        var shift = 0.0;
        for (var j = 0; j < d; j++)
        {
            _u[j] = v[j] * _inverseScale[j];
            shift += _center[j] * _u[j];
        }
        _x.Multiply(_u, _z);
        var (loss, residualSum) = (0.0, 0.0);
        for (var i = 0; i < n; i++)
        {
            var z = _z[i] + theta[d] - shift;
            loss += LogisticFunctions.Softplus(z) - (_y[i] * z);
            // The residual σ(z) − y replaces z in place: it is what Xᵀ multiplies next.
            _z[i] = LogisticFunctions.Sigmoid(z) - _y[i];
            residualSum += _z[i];
        }
        _x.MultiplyTransposed(_z, _xtr);
        var penalty = 0.0;
        for (var j = 0; j < d; j++)
        {
            gradient[j] = (_inverseScale[j] * (_xtr[j] - (_center[j] * residualSum)) / n) + (lambda * v[j]);
            penalty += v[j] * v[j];
        }
        gradient[d] = residualSum / n;
        return (loss / n) + (0.5 * lambda * penalty);
    }

    /// <summary>μ and 1/s per column; a constant column (s = 0) keeps scale 1, as scikit-learn's scalers do.</summary>
    private static (double[] Center, double[] InverseScale) Scaling(FeatureMatrix features, FeatureScaling scaling)
    {
        var d = features.Columns;
        var center = new double[d];
        var inverse = new double[d];
        Array.Fill(inverse, 1.0);
        if (scaling == FeatureScaling.None)
            return (center, inverse);
        var stats = features.ComputeColumnStatistics();
        var scale = scaling == FeatureScaling.Standardize ? stats.StandardDeviation : stats.MaxAbs;
        for (var j = 0; j < d; j++)
        {
            if (scale[j] > 0)
                inverse[j] = 1.0 / scale[j];
        }
        if (scaling == FeatureScaling.Standardize)
            stats.Mean.CopyTo(center, 0);
        return (center, inverse);
    }
}
