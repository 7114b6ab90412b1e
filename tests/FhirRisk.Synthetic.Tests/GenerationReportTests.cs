using FhirRisk.Meds;
using FhirRisk.Meds.Tasks;
using FhirRisk.Synthetic.Generation;
using FhirRisk.Synthetic.Generation.Reports;
using FhirRisk.Tokenizer;

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

        var copies = PrivacyReport.Measure(train.ToList(), train, heldOut, threads: 1, new Random(1));
        var honest = PrivacyReport.Measure(fresh, train, heldOut, threads: 1, new Random(1));

        Assert.Equal(60, copies.ExactTrainCopies);
        Assert.Equal(1, copies.MembershipInferenceAuc, 6);
        Assert.True(copies.CloserToTrainShare > 0.9);
        Assert.InRange(honest.MembershipInferenceAuc, 0.3, 0.7);
        Assert.InRange(honest.CloserToTrainShare, 0.2, 0.8);
        Assert.InRange(honest.AdversarialAccuracyTrain, 0.25, 0.75);
        Assert.Equal(0, PatientVectors.Distance(train[0], train[0]));
    }

    [Fact]
    public void Privacy_CopiesOfTrainPatientsOutsideTheDistanceSample_AreCaughtToo()
    {
        // Review s16-eval #2: copies were looked for only among the sampled train patients (1,000 of them), so a model
        // that copied patients outside the sample showed none of those copies.
        var vectors = new PatientVectors();
        var train = Cohort(300, seed: 2).Select(vectors.Of).ToList();
        var heldOut = Cohort(40, seed: 3).Select(vectors.Of).ToList();
        var sample = train.Take(40).ToList();
        var copied = train.Skip(200).Take(40).ToList();

        var sampledOnly = PrivacyReport.Measure(copied, sample, heldOut, threads: 1, new Random(1));
        var everyTrain = PrivacyReport.Measure(copied, sample, heldOut, threads: 1, new Random(1), CopyIndex.Of(train));

        Assert.Equal(0, sampledOnly.ExactTrainCopies);
        Assert.Equal(40, everyTrain.ExactTrainCopies);
        Assert.Equal(300, everyTrain.CopiesCheckedAgainst);
        Assert.Contains("against all 300 train", everyTrain.Markdown(), StringComparison.Ordinal);
        Assert.Equal(sampledOnly.CloserToTrainShare, everyTrain.CloserToTrainShare); // the distance tests keep their sample
    }

    [Fact]
    public void Privacy_TiesCountAHalf_AndTheShareCarriesTheStandardErrorOfItsScores()
    {
        // Every synthetic patient is as near to train as to held-out (both hold its copy): no lean either way, 0.5 (it
        // read 0 when a tie counted as "not nearer to train").
        var vectors = new PatientVectors();
        var patients = Cohort(50, seed: 8).Select(vectors.Of).ToList();

        var report = PrivacyReport.Measure(patients, patients, patients, threads: 1, new Random(1));

        Assert.Equal(0.5, report.CloserToTrainShare, 12);
        Assert.Equal(0, report.CloserToTrainShareError, 12); // every score is a half: no spread
        Assert.Contains("0.500 ± 0.000", report.Markdown(), StringComparison.Ordinal);
        // Scores of 0 and 1 only: the binomial error.
        var fresh = PrivacyReport.Measure(Cohort(50, seed: 9).Select(vectors.Of).ToList(), patients, Cohort(50, seed: 10).Select(vectors.Of).ToList(), threads: 1, new Random(1));
        var share = fresh.CloserToTrainShare;
        Assert.True(fresh.CloserToTrainShareError <= Math.Sqrt(share * (1 - share) / 50) + 1e-12);
    }

    [Fact]
    public void Privacy_GroupsOfUnequalSize_AreComparedAtTheSmallestSize()
    {
        var vectors = new PatientVectors();
        var synthetic = Cohort(200, seed: 5).Select(vectors.Of).ToList();
        var train = Cohort(400, seed: 6).Select(vectors.Of).ToList();
        var heldOut = Cohort(49, seed: 7).Select(vectors.Of).ToList();

        var report = PrivacyReport.Measure(synthetic, train, heldOut, threads: 1, new Random(3));

        // All three from one distribution: a 400-patient train pool alone would put most synthetic patients nearer to train.
        Assert.Equal(new PrivacyGroups(200, 400, 49, 49), report.Groups);
        Assert.InRange(report.CloserToTrainShare, 0.3, 0.7);
        Assert.InRange(report.MedianDistanceRatio, 0.7, 1.3);
        Assert.NotNull(report.Warning);
        Assert.Equal(report, PrivacyReport.Measure(synthetic, train, heldOut, threads: 1, new Random(3)));
    }

    [Fact]
    public void Privacy_WithoutHeldOut_SaysWhyTheHeldOutRowsAreEmpty()
    {
        var vectors = new PatientVectors();
        var folder = Path.Combine(Path.GetTempPath(), "fhirrisk-privacy-" + Guid.NewGuid().ToString("N"));
        try
        {
            var report = PrivacyReport.Measure(Cohort(30, seed: 1).Select(vectors.Of).ToList(), Cohort(300, seed: 2).Select(vectors.Of).ToList(), [], threads: 1, new Random(1));
            report.Write(folder);

            Assert.Equal(new PrivacyGroups(30, 300, 0, 30), report.Groups);
            var markdown = File.ReadAllText(Path.Combine(folder, PrivacyReport.MarkdownFile));
            Assert.DoesNotContain("NaN", markdown, StringComparison.Ordinal);
            Assert.Contains("n/a (no held_out or tuning split)", markdown, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Copies_PatientsWithoutTimedEvents_AreNotCopies()
    {
        var vectors = new PatientVectors();
        IReadOnlyList<MedsEvent> noEvents = [new(1, null, "GENDER//M"), new(1, T0.AddYears(-50), MedsSchema.BirthCode)];
        var train = Cohort(20, seed: 1).Append(noEvents).Select(vectors.Of).ToList();

        var report = PrivacyReport.Measure([vectors.Of(noEvents), vectors.Of(noEvents)], train, [.. Cohort(20, seed: 2).Select(vectors.Of)], threads: 1, new Random(1));

        Assert.Equal(0, report.ExactTrainCopies);
        Assert.Equal(0, PatientVectors.Distance(vectors.Of(noEvents), train[^1]));
    }

    [Fact]
    public void Copies_OfTrainPatientsDecodedThroughTheirPrefix_AreCaught()
    {
        var tokenizer = TimelineTokenizer.Load(GenerationModel.Directory);
        // The sample's timelines begin with a note before the admission; generated ones begin at their first encounter.
        var train = MedsDatasetReader.Open(GenerationModel.Dataset).ReadSubjects(new MedsReadOptions { Splits = [MedsSchema.TrainSplit] })
            .Select(s => s with { Events = [.. s.Events.Where(e => e.Time is null || e.Code == MedsSchema.BirthCode), .. FromFirstEncounter(s.Events)] })
            .ToList();
        var vectors = new PatientVectors();
        var real = train.Select(s => vectors.Of(s.Events)).ToList();
        var random = new Random(8);

        // What a model that memorised each train patient would write: its own tokens after its own prefix.
        var copies = new List<PatientVector>();
        var sources = new List<PatientVector>();
        foreach (var (subject, source) in train.Zip(real))
        {
            var buffer = tokenizer.CreateBuffer();
            tokenizer.Encode(subject.Events, buffer, endTimeline: true);
            if (buffer.Count == 0)
                continue;
            var start = DateTime.UnixEpoch.AddTicks(buffer.Times[0] * TimeSpan.TicksPerMicrosecond);
            var prompt = new StaticPrompt(tokenizer.PrefixAt(buffer.Statics, buffer.Times[0]), StaticPrompts.WithinQuarter(start, random), random.NextDouble());
            var decoded = GeneratedTimeline.Decode(tokenizer, subject.SubjectId, prompt, buffer.Tokens.ToArray());
            copies.Add(vectors.Of(decoded.Events));
            sources.Add(source);
        }

        var report = PrivacyReport.Measure(copies, real, [], threads: 1, new Random(1));

        Assert.True(copies.Count >= 5, $"{copies.Count} copies");
        Assert.Equal(copies.Count, report.ExactTrainCopies);
        // The decoded age is drawn within the prompt's whole year, so a copy is near its source but not at distance 0.
        Assert.Contains(copies.Zip(sources), p => PatientVectors.Distance(p.First, p.Second) > 0);
    }

    private static IEnumerable<MedsEvent> FromFirstEncounter(IReadOnlyList<MedsEvent> events) =>
        events.Where(e => e.Time is not null && e.Code != MedsSchema.BirthCode).SkipWhile(e => !GeneratedTimeline.OpensEncounter(e.Code));

    [Fact]
    public void Completeness_CountsEncountersBegunBeforeTheTimelineAndOpenAtItsEnd()
    {
        DateTime[] times = [T0, T0.AddHours(1), T0.AddHours(2), T0.AddDays(1), T0.AddDays(3), T0.AddDays(3), T0.AddDays(9), T0.AddDays(10), T0.AddDays(11)];
        string[] codes = ["LOINC//1", "HOSPITAL_DISCHARGE//home", "HOSPITAL_ADMISSION//IMP", "ICU_ADMISSION//MICU", "HOSPITAL_DISCHARGE//exp", "ICU_DISCHARGE", "ICU_ADMISSION//MICU", "ICU_DISCHARGE", "ED_REGISTRATION"];

        var counts = EncounterCompleteness.Of(times, codes);

        // The first discharge and the ICU stay outside a hospital stay began before the timeline; the ICU discharge at
        // the time of the discharge is the simulator's way of ending an ICU stay with the hospital stay.
        Assert.Equal(new EncounterCompleteness(Opened: 4, BegunBefore: 2, OpenAtEnd: 2), counts);
    }

    [Fact]
    public void A_timeline_cut_by_the_token_budget_leaves_its_open_window_out_of_the_outcome_rates()
    {
        // Review s22 generate L7: a live discharge a week before the cut read "no readmission within 30 days".
        var start = T0.AddDays(10);
        List<MedsEvent> events =
        [
            new(1, null, "GENDER//F"),
            new(1, start.AddYears(-70), MedsSchema.BirthCode),
            new(1, start, "HOSPITAL_ADMISSION//IMP"),
            new(1, start.AddDays(3), "HOSPITAL_DISCHARGE//home"),
            new(1, start.AddDays(10), "LOINC//1"),
        ];
        var readmission = TaskCatalog.Create().ToList().FindIndex(t => t.Name == TaskCatalog.Readmission30d);
        var ended = new CohortProfile(TaskCatalog.Create());
        var cut = new CohortProfile(TaskCatalog.Create());

        ended.Add(1, events);
        cut.Add(1, events, cutShort: true);

        Assert.Equal((0L, 1L), ended.Outcomes[readmission]);
        Assert.Equal((0L, 0L), cut.Outcomes[readmission]);
        Assert.Equal(1, cut.CutShort[readmission]);
        Assert.Equal(0, ended.CutShort[readmission]);
        // The stay itself ended before the cut: its in-stay questions count as before.
        var mortality = TaskCatalog.Create().ToList().FindIndex(t => t.Name == TaskCatalog.HospitalMortality);
        Assert.Equal(ended.Outcomes[mortality], cut.Outcomes[mortality]);
        Assert.Equal(1L, cut.Outcomes[mortality].Labelled);
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
