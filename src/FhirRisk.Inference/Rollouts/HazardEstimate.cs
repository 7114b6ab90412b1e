namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// The hazard estimate of a risk and its interval (docs/inference.md "The hazard estimate"): the rollouts' summed
/// hazards over the labelled count, and a Wilson interval at the estimate's effective sample size.
/// </summary>
public static class HazardEstimate
{
    /// <summary>The most the hazards may count for, in 0/1 rollouts per rollout: n* is capped at this times n. At 2 the
    /// tests' 95 % intervals of twenty rollouts cover a common risk (0.58) in 93.5 % of requests and rare ones (0.03,
    /// 0.06) in all, about a third narrower than the counts' there; at 1 they are no narrower than the counts'.</summary>
    public const double MaxGain = 2;

    /// <summary>
    /// The estimate from each rollout's summed hazard for one task, and its interval.
    /// </summary>
    /// <remarks>
    /// The estimate is p̂ = Σ h_r / n, capped at 1, over all N rollouts (excluded and ambiguous ones too, whose hazard
    /// was part of the chance of a positive) and the n labelled ones, as k / n is. Its variance is estimated from the
    /// rollouts themselves, N·s² / n² with s² the sample variance of h_r, and turned into an effective sample size
    /// n* = p̂(1 − p̂) / that variance: the number of 0/1 rollouts that would pin p̂ down as well. The interval is the
    /// Wilson interval of p̂ at min(n*, <see cref="MaxGain"/> · n) (<see cref="WilsonInterval.OfProportion"/>). n* can be
    /// below n (hazards that vary more than 0/1 outcomes would widen it) or far above it, but s² from twenty skewed draws
    /// often misses the rare rollout that comes close to the outcome, and an interval that shrank on that luck would claim
    /// precision the rollouts do not have: uncapped, 95 % intervals of twenty rollouts covered a rare risk in 86–88 % of
    /// requests (the synthetic process of the tests). When every h_r is equal (no spread seen), or p̂ is 0 or 1, n* is
    /// the cap.
    /// </remarks>
    /// <param name="hazards">(N) each rollout's summed hazard for the task, in rollout order.</param>
    /// <param name="labelled">n, the rollouts with a label for the task.</param>
    /// <param name="z">z of the interval.</param>
    /// <returns>The estimate and its interval; NaN and [0, 1] when no rollout is labelled.</returns>
    public static (double Risk, WilsonInterval Interval) Of(ReadOnlySpan<double> hazards, int labelled, double z = WilsonInterval.Z95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(labelled);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(labelled, hazards.Length);
        if (labelled == 0)
            return (double.NaN, new WilsonInterval(0, 1));
        var (sum, count) = (0.0, hazards.Length);
        foreach (var h in hazards)
        {
            if (!(h >= 0) || double.IsInfinity(h))
                throw new ArgumentOutOfRangeException(nameof(hazards), "A summed hazard must be finite and not negative.");
            sum += h;
        }
        var mean = sum / count;
        var squares = 0.0;
        foreach (var h in hazards)
            squares += (h - mean) * (h - mean);
        var risk = Math.Min(1, sum / labelled);
        var n = MaxGain * labelled;
        if (count > 1 && squares > 0 && risk is > 0 and < 1)
        {
            var variance = count * (squares / (count - 1)) / ((double)labelled * labelled);
            n = Math.Min(n, risk * (1 - risk) / variance);
        }
        return (risk, WilsonInterval.OfProportion(risk, n, z));
    }
}
