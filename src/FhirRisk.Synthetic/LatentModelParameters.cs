namespace FhirRisk.Synthetic;

/// <summary>
/// A logistic link over the two latent variables of the model: P = σ(<see cref="Intercept"/> + <see cref="Severity"/>·s
/// + <see cref="Baseline"/>·B), s the acute severity of the episode and B the patient's baseline risk.
/// </summary>
public readonly record struct LogitModel(double Intercept, double Severity, double Baseline)
{
    /// <summary>The linear predictor for severity <paramref name="severity"/> and baseline risk <paramref name="baseline"/>.</summary>
    public double Logit(double severity, double baseline) => Intercept + Severity * severity + Baseline * baseline;
}

/// <summary>
/// Every coefficient of the latent-state model, with the defaults documented (and justified) in docs/simulator.md,
/// whose section numbers the groups below follow. Times are in days unless a name says otherwise.
/// </summary>
public sealed record LatentModelParameters
{
    /// <summary>The calibrated defaults (docs/simulator.md §6 lists the rates they give).</summary>
    public static readonly LatentModelParameters Default = new();

    // §1 Patients and baseline risk B.
    /// <summary>Mean age (years) at the start of the observation window; normal, clamped to [<see cref="MinimumAge"/>, <see cref="MaximumAge"/>].</summary>
    public double AgeMean { get; init; } = 62;
    /// <summary>Standard deviation of that age (years).</summary>
    public double AgeStandardDeviation { get; init; } = 16;
    /// <summary>Youngest age (years) drawn: the cohort is adult.</summary>
    public double MinimumAge { get; init; } = 18;
    /// <summary>Oldest age (years) drawn at the window start.</summary>
    public double MaximumAge { get; init; } = 95;
    /// <summary>P(female).</summary>
    public double FemaleFraction { get; init; } = 0.52;
    /// <summary>Standard deviation of the frailty u ~ N(0, σ²), a patient's unobserved share of B.</summary>
    public double FrailtyStandardDeviation { get; init; } = 0.6;
    /// <summary>How much frailty raises the logit of every comorbidity's prevalence (comorbidities cluster).</summary>
    public double FrailtyComorbidityLoading { get; init; } = 0.6;
    /// <summary>B's slope per decade of age above 65.</summary>
    public double AgeRiskPerDecade { get; init; } = 0.35;

    // §2 Episodes, background deaths and ambulatory care.
    /// <summary>Acute episodes per year at B = 0; the rate is multiplied by exp(<see cref="EpisodeRiskSlope"/>·B).</summary>
    public double EpisodesPerYear { get; init; } = 0.45;
    /// <summary>γ: how strongly B raises the episode rate.</summary>
    public double EpisodeRiskSlope { get; init; } = 0.7;
    /// <summary>Out-of-hospital deaths per year at B = 0; multiplied by exp(<see cref="BackgroundDeathRiskSlope"/>·B).</summary>
    public double BackgroundDeathsPerYear { get; init; } = 0.01;
    /// <summary>η: how strongly B raises the out-of-hospital death rate.</summary>
    public double BackgroundDeathRiskSlope { get; init; } = 1.0;
    /// <summary>Ambulatory visits per year of a patient without comorbidities.</summary>
    public double AmbulatoryVisitsPerYear { get; init; } = 1.5;
    /// <summary>Extra ambulatory visits per year for each comorbidity.</summary>
    public double AmbulatoryVisitsPerComorbidity { get; init; } = 0.5;

    // §3 Emergency department.
    /// <summary>P(the ED visit ends in a hospital admission).</summary>
    public LogitModel Admission { get; init; } = new(-0.3, 1.2, 0.5);
    /// <summary>P(a patient sent home from the ED returns to the ED within 72 h).</summary>
    public LogitModel BounceBack { get; init; } = new(-2.6, 0.4, 0.3);

    // §4 Hospital stay.
    /// <summary>P(ICU stay during the admission).</summary>
    public LogitModel Icu { get; init; } = new(-1.7, 1.0, 0.3);
    /// <summary>P(the ICU stay starts within two hours of admission | ICU stay).</summary>
    public LogitModel DirectIcu { get; init; } = new(-0.5, 0.8, 0.0);
    /// <summary>P(death in the ICU | ICU stay).</summary>
    public LogitModel IcuDeath { get; init; } = new(-4.1, 1.1, 0.7);
    /// <summary>P(death on the ward after the ICU | ICU stay survived).</summary>
    public LogitModel PostIcuDeath { get; init; } = new(-4.5, 0.5, 0.7);
    /// <summary>P(death in hospital | no ICU stay).</summary>
    public LogitModel WardDeath { get; init; } = new(-5.6, 0.9, 0.8);
    /// <summary>Median length of stay (days) at s = B = 0 without ICU stay or death.</summary>
    public double MedianStayDays { get; init; } = 3.0;
    /// <summary>Log length-of-stay slope per unit of severity.</summary>
    public double StaySeverity { get; init; } = 0.25;
    /// <summary>Log length-of-stay slope per unit of baseline risk.</summary>
    public double StayBaseline { get; init; } = 0.15;
    /// <summary>Log length-of-stay added by an ICU stay.</summary>
    public double StayIcu { get; init; } = 0.4;
    /// <summary>Log length-of-stay added by death in hospital (negative: deaths come early).</summary>
    public double StayDeath { get; init; } = -0.3;
    /// <summary>Standard deviation of the log length of stay.</summary>
    public double StaySigma { get; init; } = 0.6;
    /// <summary>The prolonged_los threshold (days), DESIGN §6.</summary>
    public double ProlongedStayDays { get; init; } = 10;

    // §5 After discharge.
    /// <summary>P(readmission or death within 30 days of a live discharge), before the stay terms below.</summary>
    public LogitModel Readmission { get; init; } = new(-3.0, 0.25, 0.8);
    /// <summary>Readmission logit added by an ICU stay.</summary>
    public double ReadmissionIcu { get; init; } = 0.2;
    /// <summary>Readmission logit per unit of ln(length of stay in days).</summary>
    public double ReadmissionPerLogStay { get; init; } = 0.15;
    /// <summary>P(the 30-day event is a death at home rather than a readmission).</summary>
    public LogitModel ReadmissionAsDeath { get; init; } = new(-2.5, 0.0, 0.8);
}
