namespace FhirRisk.Synthetic.Evaluation;

/// <summary>
/// The area under the ROC curve as the Mann–Whitney statistic (Hanley &amp; McNeil 1982): the probability that a random
/// positive scores above a random negative, ties counting one half. Computed from average ranks after one sort, so
/// O(n log n) and exact with ties.
/// </summary>
public static class Auroc
{
    /// <summary>AUROC of <paramref name="scores"/> against <paramref name="labels"/>; NaN when either class is empty.</summary>
    public static double Compute(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Count != labels.Count)
            throw new ArgumentException($"{scores.Count} scores but {labels.Count} labels.", nameof(labels));
        var order = Enumerable.Range(0, scores.Count).ToArray();
        Array.Sort(order, (a, b) => scores[a].CompareTo(scores[b]));

        double positiveRankSum = 0;
        long positives = 0;
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]])
                end++;
            // Ranks start..end (1-based: start+1..end+1) share their average.
            var averageRank = (start + end) / 2.0 + 1;
            for (var i = start; i <= end; i++)
            {
                if (labels[order[i]])
                {
                    positiveRankSum += averageRank;
                    positives++;
                }
            }
            start = end + 1;
        }
        long negatives = order.Length - positives;
        if (positives == 0 || negatives == 0)
            return double.NaN;
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}
