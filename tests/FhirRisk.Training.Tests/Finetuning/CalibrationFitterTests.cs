using FhirRisk.Model.Heads;
using FhirRisk.Training.Finetuning;

namespace FhirRisk.Training.Tests.Finetuning;

public sealed class CalibrationFitterTests
{
    [Fact]
    public void Temperature_scaling_recovers_a_known_temperature()
    {
        var (logits, labels) = Sample(20_000, scale: 0.5, shift: 0, seed: 3); // labels ~ Bernoulli(σ(z / 2))
        var fitted = CalibrationFitter.Fit(CalibrationMethod.Temperature, logits, labels);
        Assert.Equal(CalibrationMethod.Temperature, fitted.Method);
        Assert.Equal(0.0, fitted.Shift);
        Assert.InRange(fitted.Temperature, 1.9, 2.1);
        Assert.True(CalibrationFitter.LogLoss(fitted, logits, labels) < CalibrationFitter.LogLoss(ProbabilityCalibration.Identity, logits, labels));
    }

    [Fact]
    public void Platt_scaling_recovers_a_known_slope_and_intercept()
    {
        var (logits, labels) = Sample(20_000, scale: 0.7, shift: -1.2, seed: 5);
        var fitted = CalibrationFitter.Fit(CalibrationMethod.Platt, logits, labels);
        Assert.InRange(fitted.Scale, 0.65, 0.75);
        Assert.InRange(fitted.Shift, -1.3, -1.1);
    }

    [Fact]
    public void Choice_by_cross_validation_takes_platt_when_the_intercept_is_off()
    {
        var (logits, labels) = Sample(5_000, scale: 1.0, shift: -1.5, seed: 9);
        Assert.Equal(CalibrationMethod.Platt, CalibrationFitter.Choose(logits, labels).Method);
    }

    [Fact]
    public void Choice_by_cross_validation_leaves_calibrated_logits_close_to_the_identity()
    {
        var (logits, labels) = Sample(5_000, scale: 1.0, shift: 0, seed: 11);
        var chosen = CalibrationFitter.Choose(logits, labels);
        Assert.InRange(chosen.Scale, 0.9, 1.1);
        Assert.InRange(chosen.Shift, -0.1, 0.1);
    }

    [Fact]
    public void Folds_by_subject_keep_a_patients_points_together_whatever_their_order()
    {
        // Review s16-engine #2: folds by position split one patient's points between fitting and held-out. By subject,
        // the choice depends on the points, not on the order they come in.
        var (logits, labels) = Sample(3_000, scale: 0.8, shift: -0.6, seed: 21);
        var subjects = Enumerable.Range(0, logits.Length).Select(i => (long)(i / 3)).ToArray(); // three points a patient
        var order = Enumerable.Range(0, logits.Length).OrderBy(i => (i * 7919) % logits.Length).ToArray();

        var chosen = CalibrationFitter.Choose(logits, labels, subjects);
        var shuffled = CalibrationFitter.Choose([.. order.Select(i => logits[i])], [.. order.Select(i => labels[i])], [.. order.Select(i => subjects[i])]);

        Assert.Equal(chosen.Method, shuffled.Method);
        Assert.Equal(chosen.Scale, shuffled.Scale, 9);
        Assert.Equal(chosen.Shift, shuffled.Shift, 9);
        Assert.Throws<ArgumentException>(() => CalibrationFitter.Choose(logits, labels, subjects.AsSpan(1)));
    }

    [Theory]
    [InlineData(CalibrationMethod.Platt)]
    [InlineData(CalibrationMethod.Temperature)]
    public void A_slope_the_likelihood_would_make_negative_stays_at_the_floor_and_keeps_the_order(CalibrationMethod method)
    {
        // Labels that fall as the logit rises (y ~ Bernoulli(σ(−0.8·z − 1))): the unconstrained fit has a < 0.
        var (logits, labels) = Sample(4_000, scale: -0.8, shift: -1, seed: 13);

        var fitted = CalibrationFitter.Fit(method, logits, labels);
        var chosen = CalibrationFitter.Choose(logits, labels);

        Assert.Equal(CalibrationFitter.MinScale, fitted.Scale);
        Assert.True(chosen.Scale >= CalibrationFitter.MinScale, $"the chosen family's slope {chosen.Scale}");
        var ordered = logits.Order().ToArray();
        for (var i = 1; i < ordered.Length; i++)
            Assert.True(fitted.Probability(ordered[i]) >= fitted.Probability(ordered[i - 1]), "a calibration never reverses the order");
        if (method == CalibrationMethod.Platt)
        {
            // At the floor the intercept carries the base rate: the mean risk equals the positive rate.
            var rate = labels.Count(y => y) / (double)labels.Length;
            Assert.InRange(logits.Average(fitted.Probability), rate - 0.01, rate + 0.01);
        }
    }

    [Theory]
    [InlineData(CalibrationMethod.Platt)]
    [InlineData(CalibrationMethod.Temperature)]
    public void Separable_points_give_a_finite_calibration_that_keeps_risks_off_zero_and_one(CalibrationMethod method)
    {
        // Review s22 trainer H2: one positive above eleven negatives; with hard targets the slope ran to 8.5 million and
        // every risk, the positive's included, to ≈ 1e-133.
        double[] logits = [1.2, -0.4, -0.6, -0.9, -1.0, -1.1, -1.3, -1.5, -1.6, -1.8, -2.0, -2.4];
        bool[] labels = [true, false, false, false, false, false, false, false, false, false, false, false];

        var fitted = CalibrationFitter.Fit(method, logits, labels);

        Assert.InRange(fitted.Scale, CalibrationFitter.MinScale, 20);
        Assert.InRange(fitted.Probability(logits[0]), 0.05, 0.95);
        Assert.All(logits.Skip(1), z => Assert.InRange(fitted.Probability(z), 0.005, fitted.Probability(logits[0])));
    }

    [Theory]
    [InlineData(4, 40)]
    [InlineData(40, 4)]
    public void Fewer_than_five_of_a_class_keep_the_identity(int positives, int negatives)
    {
        // Separable as well, so any fitted family would win on its own folds.
        double[] logits = [.. Enumerable.Range(0, positives).Select(i => 2.0 + i), .. Enumerable.Range(0, negatives).Select(i => -2.0 - i)];
        bool[] labels = [.. Enumerable.Repeat(true, positives), .. Enumerable.Repeat(false, negatives)];

        Assert.False(CalibrationFitter.HasEnoughOfEachClass(labels));
        Assert.Equal(ProbabilityCalibration.Identity, CalibrationFitter.Choose(logits, labels));
        Assert.True(CalibrationFitter.HasEnoughOfEachClass([.. Enumerable.Repeat(true, 5), .. Enumerable.Repeat(false, 5)]));
    }

    [Fact]
    public void One_class_gives_the_identity()
    {
        double[] logits = [0.3, -1, 2];
        Assert.Equal(ProbabilityCalibration.Identity, CalibrationFitter.Choose(logits, [true, true, true]));
    }

    /// <summary>z ~ N(0, 3²) and y ~ Bernoulli(σ(scale·z + shift)).</summary>
    private static (double[] Logits, bool[] Labels) Sample(int n, double scale, double shift, int seed)
    {
        var random = new Random(seed);
        var logits = new double[n];
        var labels = new bool[n];
        for (var i = 0; i < n; i++)
        {
            var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            logits[i] = 3 * normal;
            labels[i] = random.NextDouble() < 1 / (1 + Math.Exp(-(scale * logits[i] + shift)));
        }
        return (logits, labels);
    }
}
