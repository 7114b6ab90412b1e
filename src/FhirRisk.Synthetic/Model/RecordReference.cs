namespace FhirRisk.Synthetic.Model;

/// <summary>
/// What a patient's history says about the frailty u through the background processes (docs/simulator.md §2, §6): the
/// background episodes so far, this one included, and the exposure to the episode and death hazards. Episodes arrive
/// at λ(B_obs)·e^(γ·u) and deaths at h(B_obs)·e^(η·u), with B_obs = B − u the baseline the record shows (age and
/// comorbidities); so the history's log-likelihood of u is N·γ·u − Λ_episode·e^(γ·u) − Λ_death·e^(η·u), with
/// Λ = Σ gap·rate(B_obs) over the gaps lived so far.
/// </summary>
internal sealed class FrailtyHistory
{
    public int Episodes { get; private set; }

    public double EpisodeExposure { get; private set; }

    public double DeathExposure { get; private set; }

    /// <summary>A gap of <paramref name="days"/> lived at the observed baseline <paramref name="observedBaseline"/>, ended by an episode or not.</summary>
    public void Gap(LatentModel model, double observedBaseline, double days, bool endedByEpisode)
    {
        EpisodeExposure += days * model.EpisodeRatePerDay(observedBaseline);
        DeathExposure += days * model.BackgroundDeathRatePerDay(observedBaseline);
        Episodes += endedByEpisode ? 1 : 0;
    }
}

/// <summary>One diagnosis a reader of the record may suppose for an episode: its prior weight given the comorbidities,
/// its mean severity μ_d, and the readings' likelihood of s had it been the diagnosis (<see cref="SeverityEvidence.Until(string, DateTime, string?)"/>).</summary>
internal readonly record struct DiagnosisHypothesis(double PriorWeight, double PriorMean, (double Information, double Score) Evidence);

/// <summary>
/// The record reference (docs/simulator.md §6): a stay's true probabilities averaged over the joint posterior of the
/// acute diagnosis d, the frailty u and the severity s given what the record shows of them — the diagnoses the ED
/// work-up leaves possible, each at its prior weight given the comorbidities, and the readings' likelihood under each
/// (whose signature measurement differs); age and comorbidities and the background history
/// (<see cref="FrailtyHistory"/>) for u; the readings charted by the admission for s; and the ED's decision to admit,
/// which depends on s and u. Unlike the observable truth (<see cref="SeverityPosterior"/>) it grants neither d nor u.
/// It leaves out what earlier episodes' outcomes (their admissions, ICU stays, lengths of stay, returns) say about u, so
/// it is an estimate of the best a model reading the record can do, not a bound.
/// </summary>
internal static class RecordReference
{
    private const int FrailtyPoints = 31;
    private const double FrailtyWidth = 5;
    private const int SeverityPoints = 31;
    private const double SeverityWidth = 5.5;

    /// <summary>E[f(Stay(s, B_obs + u))] for each f of <paramref name="tasks"/>, over the joint posterior of (d, u, s).</summary>
    /// <param name="observedBaseline">B − u at the admission.</param>
    /// <param name="diagnoses">The diagnoses the record leaves possible (at least one with a positive weight).</param>
    /// <param name="fromEmergency">Whether the ED decided the admission (its probability then tilts the posterior).</param>
    public static double[] Expect(LatentModel model, PatientProfile patient, DateTime windowStart, FrailtyHistory history,
        double observedBaseline, IReadOnlyList<DiagnosisHypothesis> diagnoses, bool fromEmergency,
        IReadOnlyList<Func<StayRisk, double>> tasks)
    {
        var (frailties, frailtyLogWeights) = FrailtyGrid(model, patient, windowStart, history);
        var (severities, severityLogWeights) = SeverityGrid(diagnoses);
        var frailtyTop = frailtyLogWeights.Max();
        var severityTop = severityLogWeights.Max();
        var severityWeights = severityLogWeights.Select(w => Math.Exp(w - severityTop)).ToArray();
        var sums = new double[tasks.Count];
        var total = 0.0;
        for (var j = 0; j < frailties.Length; j++)
        {
            var frailtyWeight = Math.Exp(frailtyLogWeights[j] - frailtyTop);
            if (frailtyWeight < 1e-12)
                continue;
            var baseline = observedBaseline + frailties[j];
            for (var k = 0; k < severities.Length; k++)
            {
                var severityWeight = severityWeights[k];
                if (severityWeight < 1e-300)
                    continue;
                var severity = severities[k];
                var weight = frailtyWeight * severityWeight * (fromEmergency ? model.AdmissionProbability(severity, baseline) : 1);
                var risk = model.Stay(severity, baseline);
                for (var t = 0; t < tasks.Count; t++)
                    sums[t] += weight * tasks[t](risk);
                total += weight;
            }
        }
        for (var t = 0; t < sums.Length; t++)
            sums[t] /= total;
        return sums;
    }

    /// <summary>The frailty grid (±5 prior SD) and each point's log-weight: the N(0, σ_u²) prior, the comorbidities'
    /// likelihood and the background history's.</summary>
    private static (double[] Frailties, double[] LogWeights) FrailtyGrid(LatentModel model, PatientProfile patient, DateTime windowStart, FrailtyHistory history)
    {
        var parameters = model.Parameters;
        var frailtySd = parameters.FrailtyStandardDeviation;
        var ageDecades = (patient.AgeAt(windowStart) - 65) / 10;
        var logWeights = new double[FrailtyPoints];
        var frailties = new double[FrailtyPoints];
        for (var j = 0; j < FrailtyPoints; j++)
        {
            var z = FrailtyWidth * (2.0 * j / (FrailtyPoints - 1) - 1);
            var u = frailties[j] = z * frailtySd;
            var log = -0.5 * z * z + history.Episodes * parameters.EpisodeRiskSlope * u
                - history.EpisodeExposure * Math.Exp(parameters.EpisodeRiskSlope * u)
                - history.DeathExposure * Math.Exp(parameters.BackgroundDeathRiskSlope * u);
            foreach (var entry in Codes.Comorbidities.All)
            {
                var logit = entry.PrevalenceLogitAt65 + entry.AgeLogitPerDecade * ageDecades + parameters.FrailtyComorbidityLoading * u;
                log += LogLogistic(patient.Has(entry.Flag) ? logit : -logit);
            }
            logWeights[j] = log;
        }
        return (frailties, logWeights);
    }

    /// <summary>
    /// One severity grid per diagnosis hypothesis (±5.5 posterior SD around its Gaussian posterior's mean), concatenated,
    /// with log-weights on one scale: the hypothesis's prior weight, its N(μ_d, 1) prior density, the readings'
    /// likelihood under it (−½·information·s² + score·s; the −½Σr² every hypothesis shares is left out) and the grid
    /// spacing (its posterior SD), so the weights of each hypothesis sum to its marginal likelihood.
    /// </summary>
    private static (double[] Severities, double[] LogWeights) SeverityGrid(IReadOnlyList<DiagnosisHypothesis> diagnoses)
    {
        var (severities, logWeights) = (new List<double>(), new List<double>());
        foreach (var (priorWeight, priorMean, (information, score)) in diagnoses)
        {
            if (priorWeight <= 0)
                continue;
            var precision = 1 + information;
            var mean = (priorMean + score) / precision;
            var sd = 1 / Math.Sqrt(precision);
            var logConstant = Math.Log(priorWeight) + Math.Log(sd);
            for (var k = 0; k < SeverityPoints; k++)
            {
                var offset = SeverityWidth * (2.0 * k / (SeverityPoints - 1) - 1);
                var severity = mean + offset * sd;
                var deviation = severity - priorMean;
                severities.Add(severity);
                logWeights.Add(logConstant - 0.5 * deviation * deviation + score * severity - 0.5 * information * severity * severity);
            }
        }
        if (severities.Count == 0)
            throw new ArgumentException("The record reference needs at least one diagnosis with a positive prior weight.", nameof(diagnoses));
        return ([.. severities], [.. logWeights]);
    }

    /// <summary>log σ(x), stable for large |x|.</summary>
    private static double LogLogistic(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));
}
