namespace FhirRisk.Core.Statistics;

/// <summary>
/// Point estimates of the binary-outcome metrics of the evaluation (issue 6 §5, EHRSHOT's protocol, reference/peers.md
/// §3.3), in double, checked against scikit-learn (tools/reference/metrics_reference.py). A metric that is undefined
/// for the data — AUROC with one class only, AUPRC with no positives, anything over no rows — is NaN; callers that
/// report metrics check the class counts and say why (see <see cref="PatientBootstrap"/>).
/// </summary>
public static class BinaryMetrics
{
    /// <summary>The number of equal-width bins of <see cref="ExpectedCalibrationError"/> and <see cref="CalibrationCurve"/>.</summary>
    public const int DefaultCalibrationBins = 10;

    /// <summary>
    /// Area under the ROC curve: the Mann–Whitney U statistic over P·N, ties counting one half (midranks) — equal to
    /// scikit-learn's <c>roc_auc_score</c>. Scores may be any real numbers; NaN when either class is empty.
    /// </summary>
    public static double Auroc(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels) =>
        new ScoreRanking(scores, labels).Auroc(MetricInputs.UnitWeights(scores.Length));

    /// <summary>
    /// AUPRC as average precision with scikit-learn's definition (<c>average_precision_score</c>): Σₖ (Rₖ − Rₖ₋₁)·Pₖ over
    /// distinct score thresholds, a step function with no trapezoidal interpolation (which would be optimistic).
    /// NaN when there are no positives.
    /// </summary>
    public static double AveragePrecision(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels) =>
        new ScoreRanking(scores, labels).AveragePrecision(MetricInputs.UnitWeights(scores.Length));

    /// <summary>Brier score: mean squared difference between probability and outcome (0 perfect, 0.25 for a constant ½).</summary>
    public static double BrierScore(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels) =>
        new ProbabilityBins(probabilities, labels, 1).BrierScore(MetricInputs.UnitWeights(probabilities.Length));

    /// <summary>
    /// Expected calibration error over <paramref name="bins"/> equal-width bins (default 10), each weighted by its share
    /// of the predictions: Σ_b (n_b/n)·|mean p_b − fraction positive_b|. Bins as <see cref="CalibrationCurve"/>.
    /// </summary>
    public static double ExpectedCalibrationError(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, int bins = DefaultCalibrationBins) =>
        new ProbabilityBins(probabilities, labels, bins).ExpectedCalibrationError(MetricInputs.UnitWeights(probabilities.Length));

    /// <summary>
    /// The ECE a perfectly calibrated model would be expected to show on the same bins, from sampling noise alone:
    /// Σ_b (n_b/n)·E|S_b/n_b − p̄_b| with S_b ~ Binomial(n_b, p̄_b), p̄_b the bin's mean probability (summed exactly over
    /// the binomial). ECE is biased upwards on few rows (its bins' absolute errors never cancel), so a measured ECE near
    /// this value cannot be told from perfect calibration. The binomial at the bin mean slightly overstates the noise of
    /// labels drawn at the rows' own probabilities (whose variance is Σ p(1 − p) ≤ n_b·p̄_b(1 − p̄_b)). NaN for no rows.
    /// </summary>
    public static double ExpectedCalibrationErrorIfCalibrated(IReadOnlyList<CalibrationBin> curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        var total = curve.Sum(b => (double)b.Count);
        if (total <= 0)
            return double.NaN;
        var error = 0.0;
        foreach (var bin in curve)
            error += bin.Count / total * MeanAbsoluteBinomialDeviation(bin.Count, bin.MeanPredicted);
        return error;
    }

    /// <summary>E|S/n − p| for S ~ Binomial(n, p), summed over every k with log-space probabilities.</summary>
    internal static double MeanAbsoluteBinomialDeviation(int n, double p)
    {
        if (n <= 0 || p <= 0 || p >= 1)
            return 0;
        var (logP, logQ) = (Math.Log(p), Math.Log(1 - p));
        var logChoose = 0.0; // log C(n, k), built up k by k
        var expectation = 0.0;
        for (var k = 0; k <= n; k++)
        {
            if (k > 0)
                logChoose += Math.Log(n - k + 1) - Math.Log(k);
            expectation += Math.Exp(logChoose + k * logP + (n - k) * logQ) * Math.Abs((double)k / n - p);
        }
        return expectation;
    }

    /// <summary>
    /// The non-empty bins of a reliability diagram: bin b is (b/B, (b+1)/B] (the first includes 0), as scikit-learn's
    /// <c>calibration_curve(n_bins=B, strategy="uniform")</c>.
    /// </summary>
    public static IReadOnlyList<CalibrationBin> CalibrationCurve(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, int bins = DefaultCalibrationBins) =>
        new ProbabilityBins(probabilities, labels, bins).Curve();

    /// <summary>The ROC curve (scikit-learn's <c>roc_curve(drop_intermediate=False)</c>); needs both classes.</summary>
    public static IReadOnlyList<RocPoint> RocCurve(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        RequireBothClasses(labels);
        return new ScoreRanking(scores, labels).RocCurve();
    }

    /// <summary>The precision–recall curve, ascending recall (scikit-learn's <c>precision_recall_curve</c>, reversed);
    /// needs both classes.</summary>
    public static IReadOnlyList<PrecisionRecallPoint> PrecisionRecallCurve(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        RequireBothClasses(labels);
        return new ScoreRanking(scores, labels).PrecisionRecallCurve();
    }

    private static void RequireBothClasses(ReadOnlySpan<bool> labels)
    {
        if (!labels.Contains(true) || !labels.Contains(false))
            throw new ArgumentException("A curve needs at least one positive and one negative label.", nameof(labels));
    }
}
