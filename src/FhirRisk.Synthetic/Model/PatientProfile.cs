using FhirRisk.Synthetic.Codes;

namespace FhirRisk.Synthetic.Model;

/// <summary>US Core (OMB) race and ethnicity categories, CDC Race &amp; Ethnicity code system.</summary>
internal sealed record RaceCategory(string Code, string Display);

/// <summary>
/// What never changes for a patient: demographics, the chronic comorbidities and the frailty u (docs/simulator.md §1).
/// </summary>
internal sealed record PatientProfile(
    string Id,
    DateTime BirthDate,
    bool Female,
    RaceCategory Race,
    bool Hispanic,
    double Frailty,
    Comorbidity Comorbidities)
{
    public static IReadOnlyList<(RaceCategory Race, double Weight)> Races { get; } =
    [
        (new("2106-3", "White"), 0.77),
        (new("2054-5", "Black or African American"), 0.14),
        (new("2028-9", "Asian"), 0.06),
        (new("1002-5", "American Indian or Alaska Native"), 0.02),
        (new("2076-8", "Native Hawaiian or Other Pacific Islander"), 0.01),
    ];

    public double AgeAt(DateTime time) => (time - BirthDate).TotalDays / 365.25;

    public bool Has(Comorbidity condition) => (Comorbidities & condition) != 0;

    /// <summary>Draws a patient at <paramref name="windowStart"/> (docs/simulator.md §1).</summary>
    public static PatientProfile Draw(string id, DateTime windowStart, LatentModelParameters parameters, SimulationRandom random)
    {
        var age = Math.Clamp(random.Normal(parameters.AgeMean, parameters.AgeStandardDeviation), parameters.MinimumAge, parameters.MaximumAge);
        var birth = windowStart.AddDays(-Math.Floor(age * 365.25)).Date;
        var female = random.Bernoulli(parameters.FemaleFraction);
        Span<double> raceWeights = stackalloc double[Races.Count];
        for (var i = 0; i < Races.Count; i++)
            raceWeights[i] = Races[i].Weight;
        var race = Races[random.Choose(raceWeights)].Race;
        var hispanic = random.Bernoulli(0.12);
        var frailty = random.Normal(0, parameters.FrailtyStandardDeviation);
        var comorbidities = Comorbidity.None;
        foreach (var entry in Codes.Comorbidities.All)
        {
            var logit = entry.PrevalenceLogitAt65 + entry.AgeLogitPerDecade * (age - 65) / 10 + parameters.FrailtyComorbidityLoading * frailty;
            if (random.Bernoulli(Probability.Logistic(logit)))
                comorbidities |= entry.Flag;
        }
        return new PatientProfile(id, birth, female, race, hispanic, frailty, comorbidities);
    }
}
