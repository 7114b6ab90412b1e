using FhirRisk.Core.Statistics;
using FhirRisk.Model.Heads;
using FhirRisk.Training.Linear;

namespace FhirRisk.Training.Finetuning;

/// <summary>
/// Fits <see cref="ProbabilityCalibration"/>s to logits and labels of the tuning split by maximum likelihood, with
/// Newton's method in double, and chooses the family per task by cross-validated log-loss (docs/finetuning.md).
/// </summary>
/// <remarks>
/// <para>The fits aim at Platt's (1999) targets, (N₊ + 1)/(N₊ + 2) for a positive and 1/(N₋ + 2) for a negative, not
/// at 1 and 0. With hard targets, tuning points whose classes the logit separates (a rare outcome with a positive or
/// two on a small tuning split) have no maximum-likelihood fit: the slope grows without bound, and the calibration
/// maps every risk to 0 or 1 (review s22 trainer H2: a slope of 8.5 million served ≈ 1e-133 to every patient, the one
/// who reattended included). The targets keep the optimum finite, and on thousands of points move it by a few
/// thousandths.</para>
/// </remarks>
/// <remarks>
/// Both families are logistic regressions of the label on the logit (temperature: slope only; Platt: slope and
/// intercept), so the negative log-likelihood is convex and Newton with step halving converges from (1, 0) in a few
/// iterations. Choosing by the fitting split's own loss would always pick Platt (it contains temperature scaling), so the
/// choice is made on held-out folds and the winner refitted on every point.
/// <para>The slope is kept at or above <see cref="MinScale"/>: a calibration must be increasing, or it would reverse
/// the head's ranking and swap the ends of an interval it maps. On few or unlucky tuning points the likelihood can
/// prefer a negative slope (a few confident, wrong logits outweigh the rest); the fit is then the best one with the
/// slope at the floor, which says the head's logits carry no calibrated signal there (risks near the base rate, in the
/// head's order). Since the loss is convex, that boundary fit is the constrained optimum.</para>
/// </remarks>
public static class CalibrationFitter
{
    /// <summary>Folds of the cross-validation that chooses the family.</summary>
    public const int Folds = 5;

    /// <summary>The smallest slope a fitted calibration gets (see remarks): small enough to flatten an uninformative
    /// head to its base rate, large enough to keep its order in double precision.</summary>
    public const double MinScale = 1e-3;

    /// <summary>The fewest points of each class a calibration is fitted on: fewer keep the identity, since a slope and
    /// intercept fitted to one or two positives say nothing of the next patient.</summary>
    public const int MinClassPoints = 5;

    private const int MaxIterations = 100;
    private const double Tolerance = 1e-10;

    /// <summary>
    /// The family (none, temperature, Platt) with the lowest <see cref="Folds"/>-fold cross-validated log-loss, refitted
    /// on all points; the identity when a class has fewer than <see cref="MinClassPoints"/> points.
    /// </summary>
    /// <param name="logits">The head's logits z.</param>
    /// <param name="labels">The labels.</param>
    /// <param name="subjects">The subject of each point: a subject's points then share a fold, so the points held out
    /// of a fold are of patients the fit did not see (review s16-engine #2: interleaved folds split a patient's points
    /// between fitting and held-out, which favours the two-parameter Platt a little). Empty: interleaved folds.</param>
    public static ProbabilityCalibration Choose(ReadOnlySpan<double> logits, ReadOnlySpan<bool> labels, ReadOnlySpan<long> subjects = default)
    {
        CheckLengths(logits, labels);
        if (!subjects.IsEmpty && subjects.Length != labels.Length)
            throw new ArgumentException($"{subjects.Length} subjects for {labels.Length} labels.", nameof(subjects));
        if (!HasEnoughOfEachClass(labels))
            return ProbabilityCalibration.Identity;
        var folds = new int[labels.Length];
        for (var i = 0; i < folds.Length; i++)
            folds[i] = subjects.IsEmpty ? i % Folds : (int)(Core.StableHash.Mix((ulong)subjects[i]) % Folds);
        var best = (Method: CalibrationMethod.None, Loss: double.PositiveInfinity);
        foreach (var method in Enum.GetValues<CalibrationMethod>())
        {
            var loss = CrossValidatedLogLoss(method, logits, labels, folds);
            if (loss < best.Loss - 1e-12)
                best = (method, loss);
        }
        return Fit(best.Method, logits, labels);
    }

    /// <summary>The maximum-likelihood calibration of one family on all points, fitted to Platt's targets (remarks).</summary>
    public static ProbabilityCalibration Fit(CalibrationMethod method, ReadOnlySpan<double> logits, ReadOnlySpan<bool> labels)
    {
        CheckLengths(logits, labels);
        return method switch
        {
            CalibrationMethod.None => ProbabilityCalibration.Identity,
            CalibrationMethod.Temperature => Newton(logits, labels, fitShift: false),
            CalibrationMethod.Platt => Newton(logits, labels, fitShift: true),
            _ => throw new ArgumentOutOfRangeException(nameof(method)),
        };
    }

    /// <summary>Mean negative log-likelihood of the labels under <paramref name="calibration"/>.</summary>
    public static double LogLoss(ProbabilityCalibration calibration, ReadOnlySpan<double> logits, ReadOnlySpan<bool> labels)
    {
        CheckLengths(logits, labels);
        return labels.IsEmpty ? double.NaN : Loss(calibration.Scale, calibration.Shift, logits, labels, Targets.Hard) / labels.Length;
    }

    /// <summary>True when both classes have at least <see cref="MinClassPoints"/> points.</summary>
    public static bool HasEnoughOfEachClass(ReadOnlySpan<bool> labels)
    {
        var positives = labels.Count(true);
        return positives >= MinClassPoints && labels.Length - positives >= MinClassPoints;
    }

    private static double CrossValidatedLogLoss(CalibrationMethod method, ReadOnlySpan<double> logits, ReadOnlySpan<bool> labels, int[] folds)
    {
        var total = 0.0;
        for (var fold = 0; fold < Folds; fold++)
        {
            // Point i is held out in fold folds[i].
            var (fitLogits, fitLabels, testLogits, testLabels) = (new List<double>(), new List<bool>(), new List<double>(), new List<bool>());
            for (var i = 0; i < labels.Length; i++)
            {
                var (l, y) = folds[i] == fold ? (testLogits, testLabels) : (fitLogits, fitLabels);
                l.Add(logits[i]);
                y.Add(labels[i]);
            }
            var calibration = HasBothClasses(fitLabels.ToArray()) ? Fit(method, fitLogits.ToArray(), fitLabels.ToArray()) : ProbabilityCalibration.Identity;
            total += Loss(calibration.Scale, calibration.Shift, testLogits.ToArray(), testLabels.ToArray(), Targets.Hard);
        }
        return total / labels.Length;
    }

    /// <summary>The unconstrained maximum-likelihood fit, or, when its slope falls below <see cref="MinScale"/>, the best
    /// fit with the slope at <see cref="MinScale"/> (the constrained optimum of a convex loss lies on the boundary).</summary>
    private static ProbabilityCalibration Newton(ReadOnlySpan<double> logits, ReadOnlySpan<bool> labels, bool fitShift)
    {
        var method = fitShift ? CalibrationMethod.Platt : CalibrationMethod.Temperature;
        var (a, b) = Newton(logits, labels, fitShift, fitScale: true, 1.0);
        if (a < MinScale)
            (a, b) = fitShift ? Newton(logits, labels, fitShift: true, fitScale: false, MinScale) : (MinScale, 0.0);
        return new ProbabilityCalibration(method, a, b);
    }

    /// <summary>Newton's method on (a, b) from (<paramref name="scale"/>, 0); a fixed without <paramref name="fitScale"/>,
    /// b fixed at 0 without <paramref name="fitShift"/>; each step halved until the loss does not rise.</summary>
    private static (double A, double B) Newton(ReadOnlySpan<double> logits, ReadOnlySpan<bool> labels, bool fitShift, bool fitScale, double scale)
    {
        var (a, b) = (scale, 0.0);
        var targets = Targets.Of(labels);
        var loss = Loss(a, b, logits, labels, targets);
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            // g = Σ (p − y)·(z, 1); H = Σ p(1 − p)·[[z², z], [z, 1]].
            double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
            for (var i = 0; i < logits.Length; i++)
            {
                var z = logits[i];
                var p = LogisticFunctions.Sigmoid(a * z + b);
                var (r, w) = (p - targets.Of(labels[i]), p * (1 - p));
                (ga, gb) = (ga + r * z, gb + r);
                (haa, hab, hbb) = (haa + w * z * z, hab + w * z, hbb + w);
            }

            double da, db;
            if (!fitScale)
            {
                (da, db) = (0, gb / (hbb + 1e-12));
            }
            else if (fitShift)
            {
                // A small ridge keeps H invertible when the logits are (nearly) constant.
                var (h11, h22) = (haa + 1e-12, hbb + 1e-12);
                var det = h11 * h22 - hab * hab;
                (da, db) = ((h22 * ga - hab * gb) / det, (h11 * gb - hab * ga) / det);
            }
            else
            {
                (da, db) = (ga / (haa + 1e-12), 0);
            }

            var step = 1.0;
            var (na, nb, next) = (a, b, loss);
            for (var halving = 0; halving < 40; halving++)
            {
                (na, nb) = (a - step * da, b - step * db);
                next = Loss(na, nb, logits, labels, targets);
                if (next <= loss)
                    break;
                step /= 2;
            }
            if (!(next <= loss))
                break;
            var improvement = loss - next;
            (a, b, loss) = (na, nb, next);
            if (improvement <= Tolerance * Math.Max(1, loss))
                break;
        }
        return (a, b);
    }

    /// <summary>Σ softplus(a·z + b) − t·(a·z + b), t the label's target: the negative log-likelihood (cross-entropy
    /// against soft targets), finite for any logit.</summary>
    private static double Loss(double a, double b, ReadOnlySpan<double> logits, ReadOnlySpan<bool> labels, Targets targets)
    {
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            var s = a * logits[i] + b;
            sum += LogisticFunctions.Softplus(s) - targets.Of(labels[i]) * s;
        }
        return sum;
    }

    /// <summary>What a positive and a negative label count as: 1 and 0 (<see cref="Hard"/>, to score), or Platt's
    /// targets (<see cref="Of(ReadOnlySpan{bool})"/>, to fit; remarks).</summary>
    private readonly record struct Targets(double Positive, double Negative)
    {
        public static Targets Hard => new(1, 0);

        public static Targets Of(ReadOnlySpan<bool> labels)
        {
            var positives = labels.Count(true);
            var negatives = labels.Length - positives;
            return new((positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0));
        }

        public double Of(bool label) => label ? Positive : Negative;
    }

    private static bool HasBothClasses(ReadOnlySpan<bool> labels) => labels.Contains(true) && labels.Contains(false);

    private static void CheckLengths(ReadOnlySpan<double> logits, ReadOnlySpan<bool> labels)
    {
        if (logits.Length != labels.Length)
            throw new ArgumentException($"{logits.Length} logits but {labels.Length} labels.", nameof(labels));
    }
}
