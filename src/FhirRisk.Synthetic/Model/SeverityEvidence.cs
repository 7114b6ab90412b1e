namespace FhirRisk.Synthetic.Model;

/// <summary>
/// What a patient's charted measurements say about acute severity (docs/simulator.md §3, §6): every value is
/// standardized as z + a·s (+ chronic offsets, known from the comorbidities), z ~ N(0, 1), with a the measurement's
/// severity loading (its shift, doubled for the diagnosis's signature). Kept per encounter as (time, shift, multiplier,
/// measurement code, r) with r = z + a·s before clamping and rounding, so the evidence is at least what the record shows.
/// </summary>
internal sealed class SeverityEvidence
{
    private readonly Dictionary<string, List<Reading>> _readings = new(StringComparer.Ordinal);

    /// <summary>Records a reading of <paramref name="encounterId"/>: standardized residual r = z + a·s, where the true
    /// loading a is <paramref name="shift"/> × <paramref name="multiplier"/> (2 for the episode's signature measurement);
    /// <paramref name="code"/> says which measurement it is, so another diagnosis's signature can be supposed instead.</summary>
    public void Add(string encounterId, DateTime time, double shift, double residual, string? code = null, double multiplier = 1)
    {
        if (shift == 0)
            return;
        if (!_readings.TryGetValue(encounterId, out var readings))
            _readings[encounterId] = readings = [];
        readings.Add(new Reading(time, shift, multiplier, code, residual));
    }

    /// <summary>
    /// The Gaussian likelihood of s from the readings of <paramref name="encounterId"/> charted at or before
    /// <paramref name="time"/>: information Σa² and score Σa·r (log-likelihood −½·information·s² + score·s).
    /// Readings up to an episode's first prediction point are charted at its initial severity (ED triage and panel, a
    /// direct admission's admission panel), which is the s they inform.
    /// </summary>
    public (double Information, double Score) Until(string encounterId, DateTime time) =>
        Sum(encounterId, time, reading => reading.Shift * reading.Multiplier);

    /// <summary>
    /// The same likelihood had the episode's diagnosis been one whose signature measurement is
    /// <paramref name="signatureCode"/> (null: none): that measurement's loading doubled, every other one single. With
    /// the true diagnosis's signature it is <see cref="Until(string, DateTime)"/>. The residuals stay as drawn, so the
    /// sums differ only in the loadings a reader of the record would suppose.
    /// </summary>
    public (double Information, double Score) Until(string encounterId, DateTime time, string? signatureCode) =>
        Sum(encounterId, time, reading => reading.Shift * (signatureCode is not null && reading.Code == signatureCode ? 2.0 : 1.0));

    private (double Information, double Score) Sum(string encounterId, DateTime time, Func<Reading, double> loadingOf)
    {
        var (information, score) = (0.0, 0.0);
        if (_readings.TryGetValue(encounterId, out var readings))
        {
            foreach (var reading in readings)
            {
                if (reading.Time > time)
                    continue;
                var loading = loadingOf(reading);
                information += loading * loading;
                score += loading * reading.Residual;
            }
        }
        return (information, score);
    }

    private readonly record struct Reading(DateTime Time, double Shift, double Multiplier, string? Code, double Residual);
}

/// <summary>
/// The posterior of an episode's severity s given its diagnosis's prior N(μ_d, 1), the measurements' likelihood
/// (<see cref="SeverityEvidence"/>) and, where the prediction point follows the ED's decision, the admission
/// probability (or its complement) as a tilt: as a normalized grid of <see cref="Points"/> values over the Gaussian
/// part's mean ± <see cref="Width"/> standard deviations. Expectations over it are what the record lets anyone know of
/// a probability that depends on s.
/// </summary>
internal sealed class SeverityPosterior
{
    private const int Points = 161;
    private const double Width = 8;

    private SeverityPosterior(double[] severities, double[] weights)
    {
        Severities = severities;
        Weights = weights;
    }

    public double[] Severities { get; }

    public double[] Weights { get; }

    public static SeverityPosterior Of(double priorMean, (double Information, double Score) evidence, Func<double, double>? tilt = null)
    {
        var precision = 1 + evidence.Information;
        var mean = (priorMean + evidence.Score) / precision;
        var sd = 1 / Math.Sqrt(precision);
        var severities = new double[Points];
        var weights = new double[Points];
        var total = 0.0;
        for (var k = 0; k < Points; k++)
        {
            var offset = Width * (2.0 * k / (Points - 1) - 1);
            severities[k] = mean + offset * sd;
            weights[k] = Math.Exp(-0.5 * offset * offset) * (tilt?.Invoke(severities[k]) ?? 1);
            total += weights[k];
        }
        for (var k = 0; k < Points; k++)
            weights[k] /= total;
        return new SeverityPosterior(severities, weights);
    }

    /// <summary>E[f(s)] over the posterior.</summary>
    public double Expect(Func<double, double> f)
    {
        var sum = 0.0;
        for (var k = 0; k < Points; k++)
            sum += Weights[k] * f(Severities[k]);
        return sum;
    }
}
