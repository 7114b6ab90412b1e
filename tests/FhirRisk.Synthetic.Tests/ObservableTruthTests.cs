using FhirRisk.Core.Statistics;
using FhirRisk.Meds.Tasks;
using FhirRisk.Synthetic.Codes;
using FhirRisk.Synthetic.Model;

namespace FhirRisk.Synthetic.Tests;

/// <summary>
/// The observable truth (docs/simulator.md §6): the severity posterior it averages over, and on a generated cohort
/// that it is a conditional expectation of the true probability (same mean, calibrated), that it ranks no better than
/// the truth it coarsens, and that it exists exactly for the tasks whose point precedes the stay's course.
/// </summary>
public sealed class ObservableTruthTests
{
    private const int Patients = 3_000;
    private static readonly Lazy<List<TruthRow>> s_truth = new(() =>
    {
        var simulator = new PatientSimulator(new SimulationSettings { OutputFolder = "unused", Seed = 77 });
        return [.. Enumerable.Range(0, Patients).SelectMany(i => simulator.Simulate(i).Truth)];
    });

    [Fact]
    public void Posterior_WithoutEvidence_IsTheDiagnosisPrior()
    {
        var posterior = SeverityPosterior.Of(0.7, (0, 0));

        Assert.Equal(1, posterior.Weights.Sum(), 12);
        Assert.Equal(0.7, posterior.Expect(s => s), 9);
        Assert.Equal(1, posterior.Expect(s => (s - 0.7) * (s - 0.7)), 6);
    }

    [Fact]
    public void Posterior_WithMeasurements_IsTheConjugateNormal()
    {
        // Prior N(0.5, 1); information 4 and score 6 (e.g. four readings of loading 1 averaging 1.5): N((0.5 + 6) / 5, 1 / 5).
        var posterior = SeverityPosterior.Of(0.5, (4, 6));

        Assert.Equal(1.3, posterior.Expect(s => s), 9);
        Assert.Equal(0.2, posterior.Expect(s => (s - 1.3) * (s - 1.3)), 6);
    }

    [Fact]
    public void Posterior_TiltedByAnAdmissionProbability_MatchesDirectIntegration()
    {
        static double Admit(double s) => 1 / (1 + Math.Exp(-(s - 0.5) * 2));
        var posterior = SeverityPosterior.Of(0, (1, 0.8), Admit);

        // Direct quadrature of N(s; 0, 1) · exp(−s²/2 + 0.8 s) · Admit(s) on a fine grid.
        var (mass, moment) = (0.0, 0.0);
        for (var s = -12.0; s <= 12; s += 1e-4)
        {
            var w = Math.Exp(-0.5 * s * s - 0.5 * s * s + 0.8 * s) * Admit(s);
            (mass, moment) = (mass + w, moment + w * s);
        }
        Assert.Equal(moment / mass, posterior.Expect(s => s), 6);
    }

    [Fact]
    public void Evidence_CountsReadingsOfTheEncounterUpToTheTime()
    {
        var evidence = new SeverityEvidence();
        var t0 = new DateTime(2020, 1, 1, 8, 0, 0, DateTimeKind.Utc);
        evidence.Add("ed", t0.AddMinutes(5), 0.5, 1.0);
        evidence.Add("ed", t0.AddMinutes(30), 2.0, -1.0);
        evidence.Add("stay", t0.AddMinutes(10), 1.0, 3.0);
        evidence.Add("ed", t0.AddMinutes(40), 0, 9.0); // a reading that says nothing about severity

        Assert.Equal((0.0, 0.0), evidence.Until("ed", t0));
        Assert.Equal((0.25, 0.5), evidence.Until("ed", t0.AddMinutes(5)));
        Assert.Equal((4.25, -1.5), evidence.Until("ed", t0.AddHours(1)));
        Assert.Equal((0.0, 0.0), evidence.Until("other", t0.AddHours(1)));
    }

    [Theory]
    [InlineData(TaskCatalog.HospitalMortality)]
    [InlineData(TaskCatalog.IcuAdmission)]
    [InlineData(TaskCatalog.ProlongedLos)]
    [InlineData(TaskCatalog.Composite)]
    [InlineData(TaskCatalog.EdHospitalization)]
    [InlineData(TaskCatalog.EdCriticalOutcome)]
    [InlineData(TaskCatalog.EdReattendance72h)]
    public void Observable_IsACalibratedCoarseningOfTheTruth(string task)
    {
        var rows = s_truth.Value.Where(r => r.Task == task).ToList();

        // Coarser information ranks no better than the truth (up to sampling noise), and still far better than chance.
        AssertCalibratedCoarsening(task, rows, r => r.ObservableProbability!.Value, r => r.Probability);
    }

    [Fact]
    public void Observable_AtRegistration_DependsOnTheDiagnosisAndBaselineOnly()
    {
        // Nothing is charted at ED registration: two visits with the same diagnosis prior and B get the same value, so
        // the observable truth cannot track the drawn severity within them; it does at admission, after the ED panel.
        var registration = s_truth.Value.Where(r => r.Task == TaskCatalog.EdHospitalization).ToList();
        var admission = s_truth.Value.Where(r => r.Task == TaskCatalog.HospitalMortality).ToList();

        Assert.True(Correlation(registration, r => r.Severity, r => r.ObservableProbability!.Value)
            < Correlation(admission, r => r.Severity, r => r.ObservableProbability!.Value));
    }

    [Theory]
    [InlineData(TaskCatalog.Readmission30d)]
    [InlineData(TaskCatalog.IcuMortality)]
    public void Observable_IsNotComputedAfterTheStaysCourse(string task) =>
        Assert.All(s_truth.Value.Where(r => r.Task == task), r => Assert.Null(r.ObservableProbability));

    [Theory]
    [InlineData(TaskCatalog.HospitalMortality)]
    [InlineData(TaskCatalog.IcuAdmission)]
    [InlineData(TaskCatalog.ProlongedLos)]
    [InlineData(TaskCatalog.Composite)]
    public void Record_IsCalibratedAndRanksNoBetterThanTheObservableTruth(string task)
    {
        var rows = s_truth.Value.Where(r => r.Task == task).ToList();

        // Without the frailty granted it knows less than the observable truth; it still tracks the baseline risk.
        AssertCalibratedCoarsening(task, rows, r => r.RecordProbability!.Value, r => r.ObservableProbability!.Value);
        Assert.True(Correlation(rows, r => r.BaselineRisk, r => r.RecordProbability!.Value) > 0.1);
    }

    [Theory]
    [InlineData(TaskCatalog.Readmission30d)]
    [InlineData(TaskCatalog.IcuMortality)]
    [InlineData(TaskCatalog.EdHospitalization)]
    [InlineData(TaskCatalog.EdCriticalOutcome)]
    [InlineData(TaskCatalog.EdReattendance72h)]
    public void Record_IsComputedAtTheAdmissionOnly(string task) =>
        Assert.All(s_truth.Value.Where(r => r.Task == task), r => Assert.Null(r.RecordProbability));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Record_WithTheFrailtyKnown_IsTheObservableTruth(bool fromEmergency)
    {
        // A frailty of (almost) no spread is known exactly: the record reference then averages over s alone, as the
        // observable truth does (a coarser grid, so to about 1e-6).
        var model = new LatentModel(LatentModelParameters.Default with { FrailtyStandardDeviation = 1e-9 });
        var patient = new PatientProfile("p", new DateTime(1955, 3, 1, 0, 0, 0, DateTimeKind.Utc), true, PatientProfile.Races[0].Race, false, 0,
            Comorbidity.HeartFailure | Comorbidity.ChronicKidneyDisease);
        var history = new FrailtyHistory();
        history.Gap(model, 0.9, 400, endedByEpisode: true);
        (double, double) evidence = (5.3, 2.1);
        const double baseline = 0.9;
        Func<double, double>? tilt = fromEmergency ? s => model.AdmissionProbability(s, baseline) : null;

        var record = RecordReference.Expect(model, patient, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), history, baseline,
            [new DiagnosisHypothesis(1, 0.6, evidence)], fromEmergency, [r => r.HospitalMortality, r => r.IcuAdmission]);
        var posterior = SeverityPosterior.Of(0.6, evidence, tilt);

        Assert.Equal(posterior.Expect(s => model.Stay(s, baseline).HospitalMortality), record[0], 6);
        Assert.Equal(posterior.Expect(s => model.Stay(s, baseline).IcuAdmission), record[1], 6);
    }

    [Fact]
    public void Record_OverSeveralDiagnoses_MixesThemByTheirPosteriorWeights()
    {
        // With the frailty known and no ED tilt, each diagnosis's share is its prior weight times the readings' marginal
        // likelihood under it, ∫ N(s; μ, 1)·exp(score·s − ½·information·s²) ds ∝ exp(½·P·m² − ½·μ²)/√P (P = 1 + information,
        // m = (μ + score)/P), and the reference is the mix of the single-diagnosis references.
        var model = new LatentModel(LatentModelParameters.Default with { FrailtyStandardDeviation = 1e-9 });
        var patient = new PatientProfile("p", new DateTime(1950, 6, 1, 0, 0, 0, DateTimeKind.Utc), false, PatientProfile.Races[0].Race, false, 0,
            Comorbidity.Copd);
        var start = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        DiagnosisHypothesis[] hypotheses = [new(1.0, 0.6, (5.3, 2.4)), new(2.5, 0.1, (6.1, 3.0)), new(2.5, -0.1, (4.2, 0.4))];
        double[] Reference(params DiagnosisHypothesis[] h) =>
            RecordReference.Expect(model, patient, start, new FrailtyHistory(), 0.4, h, false, [r => r.HospitalMortality, r => r.IcuAdmission]);

        var mixed = Reference(hypotheses);

        var shares = hypotheses.Select(h =>
        {
            var precision = 1 + h.Evidence.Information;
            var mean = (h.PriorMean + h.Evidence.Score) / precision;
            return h.PriorWeight * Math.Exp(0.5 * precision * mean * mean - 0.5 * h.PriorMean * h.PriorMean) / Math.Sqrt(precision);
        }).ToArray();
        var singles = hypotheses.Select(h => Reference(h)).ToArray();
        for (var t = 0; t < 2; t++)
            Assert.Equal(shares.Select((w, i) => w * singles[i][t]).Sum() / shares.Sum(), mixed[t], 6);
        Assert.NotEqual(singles[0][0], mixed[0], 3); // the mix is not the first diagnosis's own

        // A diagnosis the patient cannot have (weight 0) changes nothing; none at all is refused.
        Assert.Equal(singles[1], Reference(hypotheses[1], hypotheses[0] with { PriorWeight = 0 }));
        Assert.Throws<ArgumentException>(() => Reference(hypotheses[0] with { PriorWeight = 0 }));
    }

    [Fact]
    public void Evidence_UnderAnotherDiagnosis_DoublesThatDiagnosissSignatureInstead()
    {
        var evidence = new SeverityEvidence();
        var t0 = new DateTime(2020, 1, 1, 8, 0, 0, DateTimeKind.Utc);
        evidence.Add("ed", t0, 0.7, 2.0, "lactate", multiplier: 2);   // the episode's own signature: loading 1.4
        evidence.Add("ed", t0, 0.6, 1.0, "leukocytes");               // loading 0.6

        Assert.Equal(evidence.Until("ed", t0), evidence.Until("ed", t0, "lactate"));
        var (information, score) = evidence.Until("ed", t0, "leukocytes"); // now lactate 0.7 and leukocytes 1.2
        Assert.Equal(0.7 * 0.7 + 1.2 * 1.2, information, 12);
        Assert.Equal(0.7 * 2.0 + 1.2 * 1.0, score, 12);
        var (none, noneScore) = evidence.Until("ed", t0, null);            // no signature: both single
        Assert.Equal(0.7 * 0.7 + 0.6 * 0.6, none, 12);
        Assert.Equal(0.7 * 2.0 + 0.6 * 1.0, noneScore, 12);
    }

    [Fact]
    public void Record_RisesWithTheEpisodesTheHistoryHolds()
    {
        // More background episodes over the same exposure point to a frailer patient: a higher risk at the same readings.
        var model = new LatentModel(LatentModelParameters.Default);
        var patient = new PatientProfile("p", new DateTime(1950, 1, 1, 0, 0, 0, DateTimeKind.Utc), false, PatientProfile.Races[0].Race, false, 0,
            Comorbidity.Hypertension);
        var start = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        double Mortality(int episodes)
        {
            var history = new FrailtyHistory();
            for (var i = 0; i < episodes; i++)
                history.Gap(model, 0.5, 900.0 / episodes, endedByEpisode: true);
            return RecordReference.Expect(model, patient, start, history, 0.5, [new DiagnosisHypothesis(1, 0.2, (5.0, 1.0))], true, [r => r.HospitalMortality])[0];
        }

        Assert.True(Mortality(1) < Mortality(3));
        Assert.True(Mortality(3) < Mortality(6));
    }

    /// <summary>
    /// <paramref name="coarse"/> is a conditional expectation of the outcome (its mean is the outcome rate, within four
    /// standard errors), ranks no better than the finer <paramref name="finer"/> (up to 0.005 of sampling noise) and far
    /// better than chance.
    /// </summary>
    private static void AssertCalibratedCoarsening(string task, List<TruthRow> rows, Func<TruthRow, double> coarse, Func<TruthRow, double> finer)
    {
        var scores = rows.Select(coarse).ToArray();
        Assert.All(scores, p => Assert.InRange(p, 0, 1));
        var outcomes = rows.Select(r => r.Outcome).ToArray();
        var rate = outcomes.Average(o => o ? 1.0 : 0.0);
        var standardError = Math.Sqrt(rows.Sum(r => r.Probability * (1 - r.Probability))) / rows.Count;
        Assert.True(Math.Abs(scores.Average() - rate) < 4 * standardError, $"{task}: mean {scores.Average():0.000} vs rate {rate:0.000}");
        var (auroc, finerAuroc) = (BinaryMetrics.Auroc(scores, outcomes), BinaryMetrics.Auroc([.. rows.Select(finer)], outcomes));
        Assert.True(auroc <= finerAuroc + 0.005, $"{task}: {auroc:0.000} vs the finer {finerAuroc:0.000}");
        Assert.True(auroc > 0.55, $"{task}: {auroc:0.000}");
    }

    private static double Correlation(List<TruthRow> rows, Func<TruthRow, double> x, Func<TruthRow, double> y)
    {
        var (mx, my) = (rows.Average(x), rows.Average(y));
        var sxy = rows.Sum(r => (x(r) - mx) * (y(r) - my));
        var sxx = rows.Sum(r => (x(r) - mx) * (x(r) - mx));
        var syy = rows.Sum(r => (y(r) - my) * (y(r) - my));
        return sxy / Math.Sqrt(sxx * syy);
    }
}
