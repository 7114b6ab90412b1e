using FhirRisk.Synthetic.Evaluation;

namespace FhirRisk.Synthetic.Tests;

public sealed class AurocTests
{
    [Fact]
    public void Compute_HandComputedCase_CountsOrderedPairs()
    {
        // Positives 0.35, 0.8; negatives 0.1, 0.4. Pairs (pos > neg): (0.35,0.1) (0.8,0.1) (0.8,0.4) = 3 of 4.
        Assert.Equal(0.75, Auroc.Compute([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 12);
    }

    [Fact]
    public void Compute_Ties_CountOneHalf()
    {
        // Positives 0.5, 0.9; negatives 0.5, 0.2: (0.5 vs 0.5) = ½, the other three pairs = 1 → 3.5 / 4.
        Assert.Equal(0.875, Auroc.Compute([0.5, 0.5, 0.2, 0.9], [true, false, false, true]), 12);
    }

    [Fact]
    public void Compute_PerfectAndReversedAndConstant()
    {
        Assert.Equal(1.0, Auroc.Compute([0.1, 0.2, 0.8, 0.9], [false, false, true, true]), 12);
        Assert.Equal(0.0, Auroc.Compute([0.9, 0.8, 0.2, 0.1], [false, false, true, true]), 12);
        Assert.Equal(0.5, Auroc.Compute([0.3, 0.3, 0.3, 0.3], [false, true, false, true]), 12);
    }

    [Fact]
    public void Compute_OneClassOnly_IsNaN()
    {
        Assert.True(double.IsNaN(Auroc.Compute([0.1, 0.2], [true, true])));
        Assert.True(double.IsNaN(Auroc.Compute([], [])));
    }

    [Fact]
    public void Compute_MatchesPairCountingOnRandomScores()
    {
        var random = new Random(7);
        var scores = Enumerable.Range(0, 300).Select(_ => Math.Round(random.NextDouble(), 1)).ToArray();
        var labels = scores.Select(s => random.NextDouble() < s).ToArray();
        double wins = 0, pairs = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            for (var j = 0; j < scores.Length; j++)
            {
                if (!labels[i] || labels[j])
                    continue;
                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        }
        Assert.Equal(wins / pairs, Auroc.Compute(scores, labels), 12);
    }
}
