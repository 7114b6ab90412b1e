using FhirRisk.Core.Statistics;
using FhirRisk.Training.Demo;
using FhirRisk.Training.Evaluation;

namespace FhirRisk.Training.Tests.Demo;

public sealed class SampledOracleTests
{
    private static readonly DateTime Time = new(2021, 3, 4, 5, 6, 0);

    [Fact]
    public void Each_row_is_a_count_of_its_rollouts_drawn_at_the_true_probability()
    {
        var oracle = Enumerable.Range(0, 4000).Select(i => Row(i, probability: (i % 4) / 4.0 + 0.1, label: i % 3 == 0)).ToArray();
        var counts = oracle.ToDictionary(Key, p => 10 + (int)(p.SubjectId % 3) * 5);

        var sampled = OraclePredictions.SampleRollouts(oracle, counts, seed: 7);

        Assert.Equal(oracle.Length, sampled.Count);
        for (var i = 0; i < oracle.Length; i++)
        {
            var (row, n) = (sampled[i], counts[Key(oracle[i])]);
            Assert.Equal(OraclePredictions.SampledMethodName, row.Method);
            Assert.Equal((oracle[i].SubjectId, oracle[i].Label), (row.SubjectId, row.Label));
            var k = row.Probability * n;
            Assert.Equal(Math.Round(k), k, 9); // a whole number of the n rollouts
        }
        foreach (var group in sampled.Zip(oracle).GroupBy(pair => pair.Second.Probability))
        {
            // The mean of k / n is the probability: within 4 standard errors of the group's mean.
            var mean = group.Average(pair => pair.First.Probability);
            var standardError = Math.Sqrt(group.Key * (1 - group.Key) / (15.0 * group.Count()));
            Assert.InRange(mean, group.Key - 4 * standardError, group.Key + 4 * standardError);
        }
        Assert.Equal(sampled, OraclePredictions.SampleRollouts(oracle, counts, seed: 7));
        Assert.NotEqual(sampled, OraclePredictions.SampleRollouts(oracle, counts, seed: 8));
        // The record reference through the same counts: the same draws, under its own method name.
        var record = OraclePredictions.SampleRollouts(oracle, counts, seed: 7, OraclePredictions.RecordSampledMethodName);
        Assert.All(record, r => Assert.Equal(OraclePredictions.RecordSampledMethodName, r.Method));
        Assert.Equal(sampled.Select(r => r.Probability), record.Select(r => r.Probability));
    }

    [Fact]
    public void Few_rollouts_cost_a_perfect_model_auroc_and_many_recover_it()
    {
        // A rare outcome (about 6 %) drawn from known probabilities, as in-hospital mortality is.
        var random = new Random(3);
        var oracle = Enumerable.Range(0, 6000).Select(i =>
        {
            var probability = 1 / (1 + Math.Exp(-(-3.2 + 1.2 * Normal(random))));
            return Row(i, probability, random.NextDouble() < probability);
        }).ToArray();
        double AurocWith(int n) => Auroc(OraclePredictions.SampleRollouts(oracle, oracle.ToDictionary(Key, _ => n), seed: 1));

        var (exact, twenty, hundred) = (Auroc(oracle), AurocWith(20), AurocWith(200));

        Assert.True(exact - twenty > 0.02, $"oracle {exact:F3}, at 20 rollouts {twenty:F3}");
        Assert.True(exact - hundred < exact - twenty && exact - hundred < 0.02, $"oracle {exact:F3}, at 200 rollouts {hundred:F3}");
    }

    [Fact]
    public void A_point_without_a_rollout_count_is_left_out()
    {
        var oracle = new[] { Row(1, 0.5, true), Row(2, 0.5, false) };
        var sampled = OraclePredictions.SampleRollouts(oracle, new Dictionary<(string, long, DateTime), int> { [Key(oracle[1])] = 20 }, seed: 1);
        Assert.Equal(2, Assert.Single(sampled).SubjectId);
    }

    private static Prediction Row(long subject, double probability, bool label) =>
        new(subject, Time, "hospital_mortality", OraclePredictions.MethodName, probability, label);

    private static (string, long, DateTime) Key(Prediction p) => (p.Task, p.SubjectId, p.PredictionTime);

    private static double Auroc(IReadOnlyList<Prediction> rows) =>
        BinaryMetrics.Auroc([.. rows.Select(r => r.Probability)], [.. rows.Select(r => r.Label)]);

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
