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

/// <summary>
/// The record reference (docs/simulator.md §6): a stay's true probabilities averaged over the joint posterior of the
/// frailty u and the severity s given what the record shows of them — age and comorbidities and the background history
/// (<see cref="FrailtyHistory"/>) for u; the readings charted by the admission for s; and the ED's decision to admit,
/// which depends on both. Unlike the observable truth (<see cref="SeverityPosterior"/>) it does not grant u. It still
/// grants the diagnosis, and it leaves out what earlier episodes' outcomes (their admissions, ICU stays, lengths of
/// stay, returns) say about u, so it is an estimate of the best a model reading the record can do, not a bound.
/// </summary>
internal static class RecordReference
{
    private const int FrailtyPoints = 31;
    private const double FrailtyWidth = 5;
    private const int SeverityPoints = 31;
    private const double SeverityWidth = 5.5;

    /// <summary>E[f(Stay(s, B_obs + u))] for each f of <paramref name="tasks"/>, over the joint posterior of (u, s).</summary>
    /// <param name="observedBaseline">B − u at the admission.</param>
    /// <param name="priorMean">μ_d of the episode's diagnosis.</param>
    /// <param name="evidence">The readings' likelihood of s (<see cref="SeverityEvidence.Until"/>).</param>
    /// <param name="fromEmergency">Whether the ED decided the admission (its probability then tilts the posterior).</param>
    public static double[] Expect(LatentModel model, PatientProfile patient, DateTime windowStart, FrailtyHistory history,
        double observedBaseline, double priorMean, (double Information, double Score) evidence, bool fromEmergency,
        IReadOnlyList<Func<StayRisk, double>> tasks)
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
        var top = logWeights.Max();

        var precision = 1 + evidence.Information;
        var mean = (priorMean + evidence.Score) / precision;
        var sd = 1 / Math.Sqrt(precision);
        var sums = new double[tasks.Count];
        var total = 0.0;
        for (var j = 0; j < FrailtyPoints; j++)
        {
            var frailtyWeight = Math.Exp(logWeights[j] - top);
            if (frailtyWeight < 1e-12)
                continue;
            var baseline = observedBaseline + frailties[j];
            for (var k = 0; k < SeverityPoints; k++)
            {
                var offset = SeverityWidth * (2.0 * k / (SeverityPoints - 1) - 1);
                var severity = mean + offset * sd;
                var weight = frailtyWeight * Math.Exp(-0.5 * offset * offset)
                    * (fromEmergency ? model.AdmissionProbability(severity, baseline) : 1);
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

    /// <summary>log σ(x), stable for large |x|.</summary>
    private static double LogLogistic(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));
}
