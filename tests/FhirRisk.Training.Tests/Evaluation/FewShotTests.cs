using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Tests.Evaluation;

public sealed class FewShotTests
{
    private static readonly FewShotTask Task = new("hospital_mortality",
        SyntheticPredictions.Points(400, 1, positiveRate: 0.2),
        SyntheticPredictions.Points(100, 2, positiveRate: 0.2, firstSubject: 10_000),
        SyntheticPredictions.Points(100, 3, positiveRate: 0.2, firstSubject: 20_000));

    [Fact]
    public void Samples_HaveKPerClassAndAreNestedWithinAReplicate()
    {
        var samples = FewShotExperiment.Samples(Task, new FewShotSettings()).ToArray();

        Assert.Equal(8 * 5 + 1, samples.Length);
        foreach (var sample in samples.Where(s => s.KShot is not null))
        {
            Assert.Equal(sample.KShot, sample.Train.Count(p => p.Label));
            Assert.Equal(sample.KShot, sample.Train.Count(p => !p.Label));
            Assert.Equal(sample.KShot, sample.Tuning.Count(p => p.Label));
        }
        foreach (var replicate in samples.Where(s => s.KShot is not null).GroupBy(s => s.Replicate))
        {
            var ordered = replicate.OrderBy(s => s.KShot).ToArray();
            for (var i = 1; i < ordered.Length; i++)
                Assert.Subset(ordered[i].Train.ToHashSet(), ordered[i - 1].Train.ToHashSet());
        }
        var all = Assert.Single(samples, s => s.KShot is null);
        Assert.Equal(Task.Train.Count, all.Train.Count);
    }

    [Fact]
    public void Samples_AreSeeded_ReplicatesDiffer()
    {
        var settings = new FewShotSettings { Shots = [16], Replicates = 2, IncludeAll = false, Seed = 5 };

        var first = FewShotExperiment.Samples(Task, settings).ToArray();
        var again = FewShotExperiment.Samples(Task, settings).ToArray();
        var otherSeed = FewShotExperiment.Samples(Task, settings with { Seed = 6 }).ToArray();

        Assert.Equal(first[0].Train, again[0].Train);
        Assert.NotEqual(first[0].Train, first[1].Train);
        Assert.NotEqual(first[0].Train, otherSeed[0].Train);
    }

    [Fact]
    public void Sampler_SmallClass_DistinctUpToItsSizeThenWithReplacement()
    {
        // 10 positives, max k = 32: every k ≤ 10 holds k distinct positives (a permutation's prefix); beyond the class
        // the draw goes on with replacement, so k = 32 holds all 10, some more than once.
        var pool = Task.Train.Where(p => !p.Label).Take(50).Concat(Task.Train.Where(p => p.Label).Take(10)).ToArray();
        for (var stream = 0UL; stream < 20; stream++)
        {
            var sampler = new FewShotSampler(pool, maxShots: 32, seed: 1, stream: stream, poolName: "pool");
            foreach (var k in new[] { 1, 2, 4, 8, 10 })
                Assert.Equal(k, sampler.Take(k).Where(p => p.Label).Distinct().Count());
            var positives = sampler.Take(32).Where(p => p.Label).ToArray();
            Assert.Equal(32, positives.Length);
            Assert.Equal(pool.Where(p => p.Label).ToHashSet(), positives.ToHashSet());
        }
    }

    [Fact]
    public void Sampler_PoolWithoutPositives_IsAClearIssue()
    {
        var negatives = Task.Train.Where(p => !p.Label).ToArray();

        var error = Assert.Throws<EvaluationInputException>(() => new FewShotSampler(negatives, 4, 0, 0, "icu_admission train"));

        Assert.Equal(EvaluationIssueCodes.FewShotClassMissing, error.Issue.Code);
        Assert.Equal("icu_admission train", error.Issue.Path);
        Assert.Contains("positive", error.Issue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_CallsEachLearnerPerSampleAndLabelsRowsWithKAndReplicate()
    {
        var learner = new PrevalenceLearner();
        var settings = new FewShotSettings { Shots = [1, 4], Replicates = 3 };

        var rows = FewShotExperiment.Run([Task], [learner], settings);

        Assert.Equal(2 * 3 + 1, learner.Calls);
        Assert.Equal((2 * 3 + 1) * Task.Test.Count, rows.Count);
        Assert.Equal(7, rows.Select(r => r.Run).Distinct().Count());
        Assert.All(rows.Where(r => r.KShot is null), r => Assert.Null(r.Replicate));
        // The learner predicts the training prevalence: ½ for every k-shot sample (k per class), less for all data.
        Assert.All(rows.Where(r => r.KShot is not null), r => Assert.Equal(0.5, r.Probability));
        Assert.All(rows.Where(r => r.KShot is null), r => Assert.InRange(r.Probability, 0.1, 0.3));
        Assert.Equal(Task.Test.Select(p => p.Label), rows.Take(Task.Test.Count).Select(r => r.Label));
        Assert.Single(PredictionSet.Create([("fewshot", rows)]).Tasks);
    }

    /// <summary>Scores every test point with the training prevalence, so the tests can predict its output.</summary>
    private sealed class PrevalenceLearner : IFewShotLearner
    {
        public int Calls { get; private set; }

        public string Method => "prevalence";

        public IReadOnlyList<double> FitAndPredict(FewShotSample sample, IReadOnlyList<LabeledPoint> test, CancellationToken cancellationToken)
        {
            Calls++;
            var prevalence = sample.Train.Average(p => p.Label ? 1.0 : 0.0);
            return [.. test.Select(_ => prevalence)];
        }
    }
}
