namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// The Wilson score interval for a binomial proportion (Wilson 1927; method 3 of Newcombe, Stat Med 1998, 17:857):
/// the p whose score test against k of n is not rejected at z. Unlike the Wald interval p̂ ± z·√(p̂(1−p̂)/n) that ARES
/// reports, it stays inside [0, 1] and does not collapse to a point at 0 or n positives — which is where rare
/// outcomes such as in-hospital death spend most of their rollouts.
/// </summary>
/// <param name="Lower">The lower bound.</param>
/// <param name="Upper">The upper bound.</param>
public readonly record struct WilsonInterval(double Lower, double Upper)
{
    /// <summary>z of a two-sided 95 % interval, Φ⁻¹(0.975).</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// z of a two-sided interval of coverage <paramref name="level"/>: the z with Φ(z) − Φ(−z) = level. Found by
    /// bisection on Φ(z) − 1/2 = ∫₀ᶻ φ, integrated by Simpson's rule (error far below the bisection's 1e-12).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not in (0, 1).</exception>
    public static double ZOf(double level)
    {
        if (!(level is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(level), "The interval level must lie in (0, 1).");
        if (level == 0.95)
            return Z95;
        var (low, high) = (0.0, 40.0);
        while (high - low > 1e-12)
        {
            var middle = (low + high) / 2;
            if (2 * HalfNormalMass(middle) < level)
                low = middle;
            else
                high = middle;
        }
        return (low + high) / 2;
    }

    /// <summary>∫₀ᶻ φ(x) dx by composite Simpson over 2,048 panels (the density is smooth; z ≤ 40).</summary>
    private static double HalfNormalMass(double z)
    {
        const int Panels = 2048;
        var h = z / Panels;
        var sum = Density(0) + Density(z);
        for (var i = 1; i < Panels; i++)
            sum += (i % 2 == 1 ? 4 : 2) * Density(i * h);
        return sum * h / 3;

        static double Density(double x) => Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);
    }

    /// <summary>Half the width: the ± to compare with a target precision.</summary>
    public double HalfWidth => (Upper - Lower) / 2;

    /// <summary>The interval for <paramref name="positives"/> of <paramref name="n"/>; [0, 1] when n is 0.</summary>
    public static WilsonInterval Of(int positives, int n, double z = Z95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(positives);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(positives, n);
        return n == 0 ? new WilsonInterval(0, 1) : OfProportion((double)positives / n, n, z);
    }

    /// <summary>
    /// The score interval for an estimated proportion <paramref name="proportion"/> worth <paramref name="n"/> binomial
    /// trials, where n need not be a whole number: the effective sample size of an estimate whose variance is not
    /// p(1 − p) / n of its draws (a design effect, as survey statistics uses the Wilson interval). With p = k / n it is
    /// <see cref="Of(int, int, double)"/>. [0, 1] when n is 0.
    /// </summary>
    public static WilsonInterval OfProportion(double proportion, double n, double z = Z95)
    {
        if (!(proportion is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(proportion), "The proportion must lie in [0, 1].");
        if (!(n >= 0) || double.IsInfinity(n))
            throw new ArgumentOutOfRangeException(nameof(n), "The sample size must be finite and not negative.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(z);
        if (n == 0)
            return new WilsonInterval(0, 1);
        var p = proportion;
        var z2 = z * z;
        var denominator = 1 + z2 / n;
        var centre = (p + z2 / (2 * n)) / denominator;
        var half = z / denominator * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        // At a proportion of 0 or 1 the bound is exactly 0 or 1; the formula only rounds there.
        return new WilsonInterval(p == 0 ? 0 : Math.Max(0, centre - half), p == 1 ? 1 : Math.Min(1, centre + half));
    }
}
