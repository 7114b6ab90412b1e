using FhirRisk.Synthetic.Codes;

namespace FhirRisk.Synthetic.Model;

/// <summary>The equations of docs/simulator.md, one method per quantity, over <see cref="LatentModelParameters"/>.</summary>
internal sealed class LatentModel(LatentModelParameters parameters)
{
    public LatentModelParameters Parameters { get; } = parameters;

    /// <summary>§1: B = a·(age − 65)/10 + Σ w_k·c_k + u.</summary>
    public double BaselineRisk(PatientProfile patient, DateTime time)
    {
        var risk = Parameters.AgeRiskPerDecade * (patient.AgeAt(time) - 65) / 10 + patient.Frailty;
        foreach (var entry in Comorbidities.All)
        {
            if (patient.Has(entry.Flag))
                risk += entry.RiskWeight;
        }
        return risk;
    }

    /// <summary>§2: acute episodes per day, λ₀·exp(γ·B)/365.25.</summary>
    public double EpisodeRatePerDay(double baseline) =>
        Parameters.EpisodesPerYear * Math.Exp(Parameters.EpisodeRiskSlope * baseline) / 365.25;

    /// <summary>§2: out-of-hospital deaths per day, h₀·exp(η·B)/365.25.</summary>
    public double BackgroundDeathRatePerDay(double baseline) =>
        Parameters.BackgroundDeathsPerYear * Math.Exp(Parameters.BackgroundDeathRiskSlope * baseline) / 365.25;

    /// <summary>§2: ambulatory visits per day.</summary>
    public double AmbulatoryRatePerDay(PatientProfile patient) =>
        (Parameters.AmbulatoryVisitsPerYear + Parameters.AmbulatoryVisitsPerComorbidity * Comorbidities.Count(patient.Comorbidities)) / 365.25;

    /// <summary>§2: the acute diagnosis of an episode, by weights raised by predisposing comorbidities.</summary>
    public AcuteDiagnosis DrawDiagnosis(PatientProfile patient, SimulationRandom random)
    {
        Span<double> weights = stackalloc double[AcuteDiagnoses.All.Count];
        for (var i = 0; i < weights.Length; i++)
            weights[i] = DiagnosisWeight(patient, AcuteDiagnoses.All[i]);
        return AcuteDiagnoses.All[random.Choose(weights)];
    }

    /// <summary>§2: the relative weight of <paramref name="diagnosis"/> for an episode of <paramref name="patient"/>,
    /// base_d + pre_d·[has the predisposing comorbidity].</summary>
    public static double DiagnosisWeight(PatientProfile patient, AcuteDiagnosis diagnosis) =>
        diagnosis.BaseWeight + (patient.Has(diagnosis.Predisposition) ? diagnosis.PredispositionWeight : 0);

    /// <summary>§2: s = μ_d + ε, ε ~ N(0, 1).</summary>
    public static double DrawSeverity(AcuteDiagnosis diagnosis, SimulationRandom random) => diagnosis.SeverityOffset + random.Normal();

    public double AdmissionProbability(double severity, double baseline) => P(Parameters.Admission, severity, baseline);

    public double BounceBackProbability(double severity, double baseline) => P(Parameters.BounceBack, severity, baseline);

    /// <summary>§4: the branch probabilities and log-stay means of an admission.</summary>
    public StayRisk Stay(double severity, double baseline)
    {
        var p = Parameters;
        var logMedian = Math.Log(p.MedianStayDays) + p.StaySeverity * severity + p.StayBaseline * baseline;
        double[] logStay =
        [
            logMedian,
            logMedian + p.StayDeath,
            logMedian + p.StayIcu,
            logMedian + p.StayIcu + p.StayDeath,
        ];
        return new StayRisk(
            P(p.Icu, severity, baseline),
            P(p.DirectIcu, severity, baseline),
            P(p.IcuDeath, severity, baseline),
            P(p.PostIcuDeath, severity, baseline),
            P(p.WardDeath, severity, baseline),
            logStay,
            p.StaySigma,
            p.ProlongedStayDays);
    }

    /// <summary>§5: P(readmission or death within 30 days of a live discharge).</summary>
    public double ReadmissionProbability(double severity, double baseline, bool icu, double stayDays) =>
        Probability.Logistic(Parameters.Readmission.Logit(severity, baseline)
            + (icu ? Parameters.ReadmissionIcu : 0) + Parameters.ReadmissionPerLogStay * Math.Log(stayDays));

    /// <summary>§5: P(the 30-day event is a death at home | a 30-day event).</summary>
    public double ReadmissionAsDeathProbability(double severity, double baseline) => P(Parameters.ReadmissionAsDeath, severity, baseline);

    private static double P(LogitModel model, double severity, double baseline) => Probability.Logistic(model.Logit(severity, baseline));
}
