using FhirRisk.Core.Statistics;
using FhirRisk.Meds.Tasks;
using FhirRisk.Synthetic.Codes;
using FhirRisk.Synthetic.Model;

namespace FhirRisk.Synthetic.Tests;

/// <summary>
/// The realism targets of issue 5 on a few thousand patients, generated in memory (no files): in-hospital mortality
/// 2–10 %, ICU 15–45 % of admissions, 30-day readmission 15–20 %, labs that shift with severity, and truth that is
/// calibrated and informative.
/// </summary>
public sealed class CohortRealismTests
{
    private const int Patients = 4_000;
    private static readonly Lazy<List<PatientTimeline>> s_cohort = new(() =>
    {
        var simulator = new PatientSimulator(new SimulationSettings { OutputFolder = "unused", Seed = 2024 });
        return [.. Enumerable.Range(0, Patients).Select(i => simulator.Simulate(i))];
    });

    private static IEnumerable<TruthRow> Rows(string task) => s_cohort.Value.SelectMany(t => t.Truth).Where(r => r.Task == task);

    [Theory]
    [InlineData(TaskCatalog.HospitalMortality, 0.02, 0.10)]
    [InlineData(TaskCatalog.IcuAdmission, 0.15, 0.45)]
    [InlineData(TaskCatalog.Readmission30d, 0.15, 0.20)]
    public void OutcomeRates_AreWithinTheRealismTargets(string task, double low, double high)
    {
        var rows = Rows(task).ToList();
        Assert.True(rows.Count > 2_000, $"{rows.Count} prediction points");
        Assert.InRange(rows.Average(r => r.Outcome ? 1.0 : 0.0), low, high);
    }

    [Fact]
    public void EveryTask_IsCalibratedAndInformative()
    {
        foreach (var task in TaskCatalog.Names)
        {
            var rows = Rows(task).ToList();
            var rate = rows.Average(r => r.Outcome ? 1.0 : 0.0);
            var meanProbability = rows.Average(r => r.Probability);
            // Outcomes are Bernoulli draws of the probabilities: the mean probability is the expected rate.
            var standardError = Math.Sqrt(rows.Sum(r => r.Probability * (1 - r.Probability))) / rows.Count;
            Assert.True(Math.Abs(rate - meanProbability) < 4 * standardError, $"{task}: rate {rate:0.000} vs mean p {meanProbability:0.000}");
            var auroc = BinaryMetrics.Auroc([.. rows.Select(r => r.Probability)], [.. rows.Select(r => r.Outcome)]);
            Assert.InRange(auroc, 0.6, 0.95);
        }
    }

    [Theory]
    [InlineData(Labs.LactateCode, true)]
    [InlineData(Labs.LeukocytesCode, true)]
    [InlineData(Labs.CreatinineCode, true)]
    [InlineData(Labs.OxygenSaturationCode, false)]
    public void EmergencyLabs_ShiftWithSeverity(string loinc, bool rises)
    {
        // The ED panel is drawn at the acute severity s₀ that the ED truth rows carry.
        var byQuartile = s_cohort.Value.SelectMany(timeline =>
        {
            var severity = timeline.Truth.Where(r => r.Task == TaskCatalog.EdHospitalization).ToDictionary(r => r.EncounterId, r => r.Severity);
            return timeline.Observations
                .Where(o => o.Measurement.Code.Code == loinc && severity.ContainsKey(o.EncounterId))
                .Select(o => (Severity: severity[o.EncounterId], o.Value));
        }).OrderBy(p => p.Severity).ToList();
        Assert.True(byQuartile.Count > 1_000);
        var quarter = byQuartile.Count / 4;
        var mild = Median(byQuartile.Take(quarter).Select(p => p.Value));
        var severe = Median(byQuartile.Skip(3 * quarter).Select(p => p.Value));
        Assert.True(rises ? severe > mild : severe < mild, $"{loinc}: mild median {mild}, severe median {severe}");
    }

    [Fact]
    public void ValuesStayInTheirPlausibleRanges()
    {
        foreach (var observation in s_cohort.Value.SelectMany(t => t.Observations))
        {
            Assert.InRange(observation.Value, observation.Measurement.Minimum, observation.Measurement.Maximum);
            if (observation.SecondMeasurement is { } second)
                Assert.InRange(observation.SecondValue, second.Minimum, observation.Value);
        }
    }

    [Fact]
    public void Drugs_AreGivenFromTheirOrder_AndIcuDrugsOnlyInTheIcu()
    {
        // Review s16-simulator #3: propofol and epinephrine were given every morning of the stay, on the ward before the
        // ICU admission (a sure sign of it in 55 % of later ICU stays) and before their own order.
        var icuDrugs = new[] { Drugs.Propofol, Drugs.Epinephrine };
        var (icuDoses, checkedDoses) = (0, 0);
        foreach (var timeline in s_cohort.Value)
        {
            foreach (var dose in timeline.Medications.Where(m => m.Administered))
            {
                var firstOrder = timeline.Medications.Where(m => !m.Administered && m.Drug == dose.Drug && m.EncounterId == dose.EncounterId)
                    .Select(m => (DateTime?)m.Time).Min();
                Assert.True(firstOrder is { } ordered && ordered <= dose.Time, $"{dose.Drug.Code} given at {dose.Time} before its order");
                checkedDoses++;
                if (!icuDrugs.Contains(dose.Drug))
                    continue;
                icuDoses++;
                Assert.Contains(timeline.Encounters, e => e.Kind == EncounterKind.Icu && e.PartOfId == dose.EncounterId && e.Start <= dose.Time && dose.Time < e.End);
            }
        }
        Assert.True(icuDoses > 100, $"{icuDoses} ICU drug doses of {checkedDoses}");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }
}
