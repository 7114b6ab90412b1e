namespace FhirRisk.Synthetic.Model;

/// <summary>
/// The sampled course of one admission (docs/simulator.md §4), in whole minutes from the admission. Durations are
/// floored to the minute, which keeps "stay ≥ 10 days" the same before and after rounding (10 days is a whole number
/// of minutes).
/// </summary>
/// <param name="Icu">An ICU stay happened.</param>
/// <param name="DirectIcu">It started within two hours of admission.</param>
/// <param name="DiedInIcu">Death in the ICU (the ICU stay ends at the death, which is the discharge).</param>
/// <param name="Died">Death before discharge (in the ICU or after it, or on the ward).</param>
/// <param name="StayMinutes">Admission to discharge (or death).</param>
/// <param name="IcuStartMinutes">Admission to ICU admission (0 without ICU).</param>
/// <param name="IcuEndMinutes">Admission to ICU discharge (0 without ICU).</param>
internal sealed record StayOutcome(
    bool Icu,
    bool DirectIcu,
    bool DiedInIcu,
    bool Died,
    long StayMinutes,
    long IcuStartMinutes,
    long IcuEndMinutes)
{
    private const double MinutesPerDay = 1440;
    private const double MinimumStayDays = 1.0;
    private const double MinimumIcuStayDays = 1.5;
    private const double MaximumStayDays = 120;

    public double StayDays => StayMinutes / MinutesPerDay;

    public bool Prolonged(double thresholdDays) => StayMinutes >= thresholdDays * MinutesPerDay;

    /// <summary>
    /// Walks the branches of <paramref name="risk"/>: ICU?, then death in the ICU or after it (or on the ward), then the
    /// length of stay from the log-normal of that branch. Clamping the stay to [1 (1.5 with ICU), 120] days never moves
    /// it across the 10-day threshold, so <see cref="StayRisk.ProlongedStay"/> stays exact. A non-direct ICU stay starts
    /// at least 12 h after admission, so only direct transfers count for the 12-hour ED critical outcome.
    /// </summary>
    public static StayOutcome Sample(StayRisk risk, SimulationRandom random)
    {
        var icu = random.Bernoulli(risk.Icu);
        bool direct = false, diedInIcu = false, died;
        if (icu)
        {
            direct = random.Bernoulli(risk.DirectIcu);
            diedInIcu = random.Bernoulli(risk.IcuDeath);
            died = diedInIcu || random.Bernoulli(risk.PostIcuDeath);
        }
        else
        {
            died = random.Bernoulli(risk.WardDeath);
        }

        var days = Math.Exp(risk.LogStayMean(icu, died) + risk.StaySigma * random.Normal());
        days = Math.Clamp(days, icu ? MinimumIcuStayDays : MinimumStayDays, MaximumStayDays);
        var stay = (long)Math.Floor(days * MinutesPerDay);
        if (!icu)
            return new StayOutcome(false, false, false, died, stay, 0, 0);

        var start = direct
            ? (long)Math.Floor(random.Uniform(30, 120))
            : 720 + (long)Math.Floor(random.Uniform(0, 0.3) * (stay - 720));
        var end = diedInIcu ? stay : start + 60 + (long)Math.Floor(random.Uniform(0.3, 0.8) * (stay - start - 60));
        return new StayOutcome(true, direct, diedInIcu, died, stay, start, end);
    }
}
