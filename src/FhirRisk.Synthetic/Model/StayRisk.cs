namespace FhirRisk.Synthetic.Model;

/// <summary>
/// The branch probabilities of one admission, fixed at the admission by the acute severity s and the baseline risk B,
/// and the exact task probabilities they imply (docs/simulator.md §4). Sampling (<see cref="StayOutcome.Sample"/>)
/// walks the same branches, so each task's realised outcome is a Bernoulli draw of the probability given here.
/// </summary>
/// <param name="Icu">P(ICU stay).</param>
/// <param name="DirectIcu">P(ICU within two hours of admission | ICU).</param>
/// <param name="IcuDeath">P(death in the ICU | ICU).</param>
/// <param name="PostIcuDeath">P(death after the ICU | ICU survived).</param>
/// <param name="WardDeath">P(death | no ICU).</param>
/// <param name="LogStay">μ of ln(length of stay in days) for [icu, died] (index icu·2 + died).</param>
/// <param name="StaySigma">σ of ln(length of stay).</param>
/// <param name="ProlongedStayDays">The prolonged_los threshold.</param>
internal sealed record StayRisk(
    double Icu,
    double DirectIcu,
    double IcuDeath,
    double PostIcuDeath,
    double WardDeath,
    double[] LogStay,
    double StaySigma,
    double ProlongedStayDays)
{
    /// <summary>P(death before discharge).</summary>
    public double HospitalMortality => Icu * IcuPathDeath + (1 - Icu) * WardDeath;

    /// <summary>P(ICU before discharge).</summary>
    public double IcuAdmission => Icu;

    /// <summary>P(death before ICU discharge | ICU stay): the icu_mortality task at ICU admission.</summary>
    public double IcuMortality => IcuDeath;

    /// <summary>P(length of stay ≥ threshold), summed over the four (ICU, death) branches.</summary>
    public double ProlongedStay =>
        Icu * (IcuPathDeath * Prolonged(icu: true, died: true) + (1 - IcuPathDeath) * Prolonged(icu: true, died: false))
        + (1 - Icu) * (WardDeath * Prolonged(icu: false, died: true) + (1 - WardDeath) * Prolonged(icu: false, died: false));

    /// <summary>P(death or ICU or prolonged stay): every ICU branch is positive; without ICU, death or a long stay.</summary>
    public double Composite => Icu + (1 - Icu) * (WardDeath + (1 - WardDeath) * Prolonged(icu: false, died: false));

    /// <summary>P(emergency critical outcome: ICU or death within 12 h of ED registration | admitted); only a direct
    /// ICU transfer is that early (deaths come after at least a day).</summary>
    public double EarlyIcu => Icu * DirectIcu;

    private double IcuPathDeath => IcuDeath + (1 - IcuDeath) * PostIcuDeath;

    public double LogStayMean(bool icu, bool died) => LogStay[(icu ? 2 : 0) + (died ? 1 : 0)];

    private double Prolonged(bool icu, bool died) => Probability.LogNormalAtLeast(ProlongedStayDays, LogStayMean(icu, died), StaySigma);
}
