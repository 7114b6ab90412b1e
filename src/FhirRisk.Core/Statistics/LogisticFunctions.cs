namespace FhirRisk.Core.Statistics;

/// <summary>The logistic function and the log-loss, written to stay finite and accurate for large |z|.</summary>
public static class LogisticFunctions
{
    /// <summary>σ(z) = 1 / (1 + e⁻ᶻ), never evaluating an overflowing exponential.</summary>
    public static double Sigmoid(double z)
    {
        if (z >= 0)
            return 1.0 / (1.0 + Math.Exp(-z));
        var e = Math.Exp(z);
        return e / (1.0 + e);
    }

    /// <summary>log(1 + eᶻ), so that the log-loss of label y is <c>Softplus(z) − y·z</c>.</summary>
    public static double Softplus(double z) => Math.Max(z, 0) + Log1P(Math.Exp(-Math.Abs(z)));

    /// <summary>log(1 + x) for x ≥ 0 without losing small x to rounding (Goldberg 1991, Theorem 4).</summary>
    private static double Log1P(double x)
    {
        var u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }
}
