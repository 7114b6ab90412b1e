namespace FhirRisk.Synthetic.Model;

/// <summary>
/// What a patient's charted measurements say about acute severity (docs/simulator.md §3, §6): every value is
/// standardized as z + a·s (+ chronic offsets, known from the comorbidities), z ~ N(0, 1), with a the measurement's
/// severity loading (its shift, doubled for the diagnosis's signature). Kept per encounter as (time, a, r) with
/// r = z + a·s before clamping and rounding, so the evidence is at least what the record shows.
/// </summary>
internal sealed class SeverityEvidence
{
    private readonly Dictionary<string, List<(DateTime Time, double Loading, double Residual)>> _readings = new(StringComparer.Ordinal);

    public void Add(string encounterId, DateTime time, double loading, double residual)
    {
        if (loading == 0)
            return;
        if (!_readings.TryGetValue(encounterId, out var readings))
            _readings[encounterId] = readings = [];
        readings.Add((time, loading, residual));
    }

    /// <summary>
    /// The Gaussian likelihood of s from the readings of <paramref name="encounterId"/> charted at or before
    /// <paramref name="time"/>: information Σa² and score Σa·r (log-likelihood −½·information·s² + score·s).
    /// Readings up to an episode's first prediction point are charted at its initial severity (ED triage and panel, a
    /// direct admission's admission panel), which is the s they inform.
    /// </summary>
    public (double Information, double Score) Until(string encounterId, DateTime time)
    {
        var (information, score) = (0.0, 0.0);
        if (_readings.TryGetValue(encounterId, out var readings))
        {
            foreach (var (at, loading, residual) in readings)
            {
                if (at > time)
                    continue;
                information += loading * loading;
                score += loading * residual;
            }
        }
        return (information, score);
    }
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
