namespace FhirRisk.Core.Statistics;

/// <summary>Argument checks shared by the metrics: a NaN score or a probability outside [0, 1] is a caller's bug, and a
/// metric computed over it would be a silent wrong number.</summary>
internal static class MetricInputs
{
    public static void CheckScores(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length != labels.Length)
            throw new ArgumentException($"{scores.Length} scores but {labels.Length} labels.", nameof(labels));
        for (var i = 0; i < scores.Length; i++)
        {
            if (double.IsNaN(scores[i]))
                throw new ArgumentException($"Score {i} is NaN.", nameof(scores));
        }
    }

    public static void CheckProbabilities(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels)
    {
        if (probabilities.Length != labels.Length)
            throw new ArgumentException($"{probabilities.Length} probabilities but {labels.Length} labels.", nameof(labels));
        for (var i = 0; i < probabilities.Length; i++)
        {
            if (!(probabilities[i] >= 0 && probabilities[i] <= 1))
                throw new ArgumentOutOfRangeException(nameof(probabilities), probabilities[i], $"Probability {i} is not in [0, 1].");
        }
    }

    /// <summary>A weight of 1 per row: the point estimate, as opposed to a bootstrap replicate.</summary>
    public static double[] UnitWeights(int count)
    {
        var ones = new double[count];
        Array.Fill(ones, 1.0);
        return ones;
    }
}
