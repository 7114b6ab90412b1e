namespace FhirRisk.Synthetic.Model;

/// <summary>The link functions of the latent-state model (docs/simulator.md).</summary>
internal static class Probability
{
    public static double Logistic(double logit) => 1.0 / (1.0 + Math.Exp(-logit));

    /// <summary>Φ(x), the standard normal CDF, as ½·erfc(−x/√2).</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2.0));

    /// <summary>
    /// P(X ≥ <paramref name="threshold"/>) for X log-normal with log-mean <paramref name="logMean"/> and log-sd
    /// <paramref name="logSigma"/>: 1 − Φ((ln threshold − μ)/σ).
    /// </summary>
    public static double LogNormalAtLeast(double threshold, double logMean, double logSigma) =>
        NormalCdf((logMean - Math.Log(threshold)) / logSigma);

    /// <summary>
    /// The complementary error function by its Chebyshev fit (Press et al., Numerical Recipes, 2nd ed., §6.2,
    /// <c>erfcc</c>): relative error below 1.2·10⁻⁷ everywhere, ample for probabilities printed to six places.
    /// </summary>
    public static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1.0 / (1.0 + 0.5 * z);
        var poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        var value = t * Math.Exp(poly);
        return x >= 0 ? value : 2.0 - value;
    }
}
