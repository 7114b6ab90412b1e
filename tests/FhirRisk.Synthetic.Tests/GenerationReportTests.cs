using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Synthetic.Generation.Reports;

namespace FhirRisk.Synthetic.Tests;

/// <summary>The fidelity and privacy measures on cohorts whose answer is known.</summary>
public sealed class GenerationReportTests
{
    private static readonly DateTime T0 = new(2021, 1, 1, 8, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Fidelity_OfACohortWithItself_IsPerfect()
    {
        var (a, b) = (Profile(Cohort(40, seed: 1)), Profile(Cohort(40, seed: 1)));

        var report = FidelityReport.Compare(a, b);

        Assert.Equal(1, report.FrequencyCorrelation, 12);
        Assert.Equal(1, report.PrevalenceCorrelation, 12);
        Assert.Equal(0, report.Age.Ks);
        Assert.Equal(0, report.LengthOfStayDays.Ks);
        Assert.All(report.Outcomes, o => Assert.Equal(o.TrainRate, o.SyntheticRate));
        var mortality = report.Outcomes.Single(o => o.Task == TaskCatalog.HospitalMortality);
        Assert.Equal(40, mortality.TrainLabelled);
        Assert.Equal(40 / 4, mortality.TrainPositives);
    }

    [Fact]
    public void Privacy_CopiesOfTrainAreCaught_FreshDrawsAreNot()
    {
        var vectors = new PatientVectors();
        var train = Cohort(60, seed: 2).Select(vectors.Of).ToList();
        var heldOut = Cohort(60, seed: 3).Select(vectors.Of).ToList();
        var fresh = Cohort(60, seed: 4).Select(vectors.Of).ToList();

        var copies = PrivacyReport.Measure(train.ToList(), train, heldOut, threads: 1);
        var honest = PrivacyReport.Measure(fresh, train, heldOut, threads: 1);

        Assert.Equal(60, copies.ExactTrainCopies);
        Assert.Equal(1, copies.MembershipInferenceAuc, 6);
        Assert.True(copies.CloserToTrainShare > 0.9);
        Assert.InRange(honest.MembershipInferenceAuc, 0.3, 0.7);
        Assert.InRange(honest.CloserToTrainShare, 0.2, 0.8);
        Assert.InRange(honest.AdversarialAccuracyTrain, 0.25, 0.75);
        Assert.Equal(0, PatientVectors.Distance(train[0], train[0]));
    }

    [Fact]
    public void Distance_CountsCodesInOneOnlyAgeAndSex()
    {
        var a = new PatientVector(0.5, 0, [1, 3, 5]);
        var b = new PatientVector(0.2, 1, [3, 4]);

        Assert.Equal(3 + 0.09 + 2, PatientVectors.Distance(a, b), 12);
    }

    private static CohortProfile Profile(IEnumerable<IReadOnlyList<MedsEvent>> cohort)
    {
        var profile = new CohortProfile(TaskCatalog.Create());
        var id = 0;
        foreach (var events in cohort)
            profile.Add(++id, events);
        return profile;
    }

    /// <summary>One admission per patient with a few random labs, 2–12 days; every fourth patient dies in hospital.</summary>
    private static List<IReadOnlyList<MedsEvent>> Cohort(int patients, int seed)
    {
        var random = new Random(seed);
        var cohort = new List<IReadOnlyList<MedsEvent>>();
        for (var p = 0; p < patients; p++)
        {
            var start = T0.AddDays(random.Next(300));
            var days = random.Next(2, 13);
            var dies = p % 4 == 0;
            List<MedsEvent> events =
            [
                new(p, null, random.Next(2) == 0 ? "GENDER//F" : "GENDER//M"),
                new(p, start.AddYears(-random.Next(20, 90)), MedsSchema.BirthCode),
                new(p, start, "HOSPITAL_ADMISSION//IMP"),
                .. Enumerable.Range(0, random.Next(1, 6)).Select(i => new MedsEvent(p, start.AddHours(i + 1), $"LOINC//{random.Next(12)}")),
                new(p, start.AddDays(days), dies ? "HOSPITAL_DISCHARGE//exp" : "HOSPITAL_DISCHARGE//home"),
            ];
            cohort.Add(events);
        }
        return cohort;
    }
}
