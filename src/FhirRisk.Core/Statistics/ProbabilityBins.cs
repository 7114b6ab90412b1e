namespace FhirRisk.Core.Statistics;

/// <summary>
/// Probabilities assigned once to equal-width bins, for the calibration metrics (Brier score, ECE, calibration curve)
/// with a weight per row. Bin b of B is (b/B, (b+1)/B], the first also holding 0 — scikit-learn's
/// <c>calibration_curve(strategy="uniform")</c>, whose edges are <c>linspace(0, 1, B+1)</c>, i.e. k·(1/B) in double
/// (0.30000000000000004, not 0.3), so a probability on an edge lands in the same bin here and there.
/// </summary>
internal sealed class ProbabilityBins
{
    private readonly double[] _probabilities;
    private readonly bool[] _labels;
    private readonly int[] _bins;

    public ProbabilityBins(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, int binCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(binCount);
        MetricInputs.CheckProbabilities(probabilities, labels);
        _probabilities = probabilities.ToArray();
        _labels = labels.ToArray();
        BinCount = binCount;
        _bins = new int[probabilities.Length];
        for (var i = 0; i < _bins.Length; i++)
            _bins[i] = BinOf(probabilities[i], binCount);
    }

    public int BinCount { get; }

    public int Count => _probabilities.Length;

    /// <summary>The lower edge of bin <paramref name="bin"/> (its upper edge is that of the next bin; the last ends at 1).</summary>
    public static double Edge(int bin, int binCount) => bin >= binCount ? 1.0 : bin * (1.0 / binCount);

    /// <summary>Mean of (p − y)² (Brier 1950); NaN when the rows have no weight.</summary>
    public double BrierScore(ReadOnlySpan<double> weights)
    {
        double sum = 0, total = 0;
        for (var i = 0; i < _probabilities.Length; i++)
        {
            var error = _probabilities[i] - (_labels[i] ? 1.0 : 0.0);
            sum += weights[i] * error * error;
            total += weights[i];
        }
        return total > 0 ? sum / total : double.NaN;
    }

    /// <summary>
    /// Expected calibration error (Naeini et al. 2015): Σ_b (n_b / n)·|mean p_b − fraction positive_b| over the
    /// non-empty bins, n_b counting weight. NaN when the rows have no weight.
    /// </summary>
    public double ExpectedCalibrationError(ReadOnlySpan<double> weights)
    {
        var bins = Accumulate(weights);
        double total = 0;
        foreach (var bin in bins)
            total += bin.Weight;
        if (total <= 0)
            return double.NaN;
        double error = 0;
        foreach (var bin in bins)
        {
            if (bin.Weight > 0)
                error += bin.Weight / total * Math.Abs(bin.ProbabilitySum / bin.Weight - bin.PositiveWeight / bin.Weight);
        }
        return error;
    }

    /// <summary>The non-empty bins with unit weights, lowest first.</summary>
    public IReadOnlyList<CalibrationBin> Curve()
    {
        var bins = Accumulate(MetricInputs.UnitWeights(Count));
        var curve = new List<CalibrationBin>();
        for (var b = 0; b < bins.Length; b++)
        {
            if (bins[b].Weight > 0)
            {
                curve.Add(new CalibrationBin(Edge(b, BinCount), Edge(b + 1, BinCount), (int)bins[b].Weight,
                    bins[b].ProbabilitySum / bins[b].Weight, bins[b].PositiveWeight / bins[b].Weight));
            }
        }
        return curve;
    }

    /// <summary>The number of edges 1..B−1 strictly below <paramref name="probability"/> (numpy's
    /// <c>searchsorted(edges[1:-1], p, side="left")</c>).</summary>
    private static int BinOf(double probability, int binCount)
    {
        int low = 0, high = binCount - 1;
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (Edge(middle + 1, binCount) < probability)
                low = middle + 1;
            else
                high = middle;
        }
        return low;
    }

    private BinTotals[] Accumulate(ReadOnlySpan<double> weights)
    {
        if (weights.Length != Count)
            throw new ArgumentException($"{weights.Length} weights for {Count} predictions.", nameof(weights));
        var bins = new BinTotals[BinCount];
        for (var i = 0; i < _probabilities.Length; i++)
        {
            ref var bin = ref bins[_bins[i]];
            bin.Weight += weights[i];
            bin.ProbabilitySum += weights[i] * _probabilities[i];
            if (_labels[i])
                bin.PositiveWeight += weights[i];
        }
        return bins;
    }

    private struct BinTotals
    {
        public double Weight;
        public double ProbabilitySum;
        public double PositiveWeight;
    }
}
