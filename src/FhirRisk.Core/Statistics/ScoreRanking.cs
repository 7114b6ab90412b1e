namespace FhirRisk.Core.Statistics;

/// <summary>
/// Predictions sorted once by descending score and cut into tie groups (equal scores). Every ranking metric is then one
/// pass over the groups with a weight per row, so a bootstrap replicate — a multiset of the rows, i.e. integer weights —
/// costs O(n) instead of a fresh O(n log n) sort.
/// </summary>
internal sealed class ScoreRanking
{
    private readonly int[] _order;
    private readonly int[] _groupEnds;
    private readonly double[] _scores;
    private readonly bool[] _labels;

    public ScoreRanking(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        MetricInputs.CheckScores(scores, labels);
        _scores = scores.ToArray();
        _labels = labels.ToArray();
        var keys = scores.ToArray();
        _order = new int[scores.Length];
        for (var i = 0; i < _order.Length; i++)
            _order[i] = i;
        Array.Sort(keys, _order);
        Array.Reverse(_order);

        var ends = new List<int>();
        for (var position = 1; position <= _order.Length; position++)
        {
            if (position == _order.Length || _scores[_order[position]] != _scores[_order[position - 1]])
                ends.Add(position);
        }
        _groupEnds = [.. ends];
    }

    public int Count => _order.Length;

    /// <summary>
    /// The Mann–Whitney statistic U / (P·N): each negative counts the positive weight ranked above it plus half the
    /// positive weight tied with it, which is exactly what midranks give (Hanley &amp; McNeil 1982). NaN when either
    /// class has no weight.
    /// </summary>
    public double Auroc(ReadOnlySpan<double> weights)
    {
        double positivesAbove = 0, negatives = 0, pairs = 0;
        foreach (var (groupPositives, groupNegatives) in Groups(weights))
        {
            pairs += groupNegatives * (positivesAbove + 0.5 * groupPositives);
            positivesAbove += groupPositives;
            negatives += groupNegatives;
        }
        return positivesAbove > 0 && negatives > 0 ? pairs / (positivesAbove * negatives) : double.NaN;
    }

    /// <summary>
    /// Average precision as scikit-learn defines it (<c>average_precision_score</c>): Σₖ (Rₖ − Rₖ₋₁)·Pₖ over the
    /// distinct thresholds in descending order, with no interpolation. NaN when the positives have no weight.
    /// </summary>
    public double AveragePrecision(ReadOnlySpan<double> weights)
    {
        var totalPositives = TotalPositives(weights);
        if (totalPositives <= 0)
            return double.NaN;
        double truePositives = 0, falsePositives = 0, previousRecall = 0, sum = 0;
        foreach (var (groupPositives, groupNegatives) in Groups(weights))
        {
            truePositives += groupPositives;
            falsePositives += groupNegatives;
            if (groupPositives <= 0)
                continue;
            var recall = truePositives / totalPositives;
            sum += (recall - previousRecall) * (truePositives / (truePositives + falsePositives));
            previousRecall = recall;
        }
        return sum;
    }

    /// <summary>
    /// The ROC curve with unit weights: (0, 0), then one point per distinct score from the highest down, ending at
    /// (1, 1) — scikit-learn's <c>roc_curve(drop_intermediate=False)</c>.
    /// </summary>
    public IReadOnlyList<RocPoint> RocCurve()
    {
        var ones = MetricInputs.UnitWeights(Count);
        var positives = TotalPositives(ones);
        var negatives = Count - positives;
        var points = new List<RocPoint>(_groupEnds.Length + 1) { new(0, 0, double.PositiveInfinity) };
        double truePositives = 0, falsePositives = 0;
        var group = 0;
        foreach (var (groupPositives, groupNegatives) in Groups(ones))
        {
            truePositives += groupPositives;
            falsePositives += groupNegatives;
            points.Add(new RocPoint(falsePositives / negatives, truePositives / positives, GroupScore(group++)));
        }
        return points;
    }

    /// <summary>
    /// The precision–recall curve with unit weights, in scikit-learn's <c>precision_recall_curve</c> points but in
    /// ascending recall: (recall 0, precision 1), then one point per distinct score from the highest down (the last is
    /// recall 1 at the prevalence).
    /// </summary>
    public IReadOnlyList<PrecisionRecallPoint> PrecisionRecallCurve()
    {
        var ones = MetricInputs.UnitWeights(Count);
        var positives = TotalPositives(ones);
        var points = new List<PrecisionRecallPoint> { new(0, 1, double.PositiveInfinity) };
        double truePositives = 0, falsePositives = 0;
        var group = 0;
        foreach (var (groupPositives, groupNegatives) in Groups(ones))
        {
            truePositives += groupPositives;
            falsePositives += groupNegatives;
            points.Add(new PrecisionRecallPoint(truePositives / positives, truePositives / (truePositives + falsePositives), GroupScore(group++)));
        }
        return points;
    }

    private double GroupScore(int group) => _scores[_order[_groupEnds[group] - 1]];

    private double TotalPositives(ReadOnlySpan<double> weights)
    {
        double total = 0;
        for (var i = 0; i < _labels.Length; i++)
        {
            if (_labels[i])
                total += weights[i];
        }
        return total;
    }

    /// <summary>(positive weight, negative weight) of each tie group, highest score first.</summary>
    private GroupEnumerable Groups(ReadOnlySpan<double> weights)
    {
        if (weights.Length != Count)
            throw new ArgumentException($"{weights.Length} weights for {Count} predictions.", nameof(weights));
        return new GroupEnumerable(this, weights);
    }

    public readonly ref struct GroupEnumerable(ScoreRanking ranking, ReadOnlySpan<double> weights)
    {
        private readonly ScoreRanking _ranking = ranking;
        private readonly ReadOnlySpan<double> _weights = weights;

        public GroupEnumerator GetEnumerator() => new(_ranking, _weights);
    }

    public ref struct GroupEnumerator(ScoreRanking ranking, ReadOnlySpan<double> weights)
    {
        private readonly ScoreRanking _ranking = ranking;
        private readonly ReadOnlySpan<double> _weights = weights;
        private int _group = -1;

        public (double Positives, double Negatives) Current { get; private set; }

        public bool MoveNext()
        {
            if (++_group >= _ranking._groupEnds.Length)
                return false;
            var start = _group == 0 ? 0 : _ranking._groupEnds[_group - 1];
            double positives = 0, negatives = 0;
            for (var position = start; position < _ranking._groupEnds[_group]; position++)
            {
                var row = _ranking._order[position];
                if (_ranking._labels[row])
                    positives += _weights[row];
                else
                    negatives += _weights[row];
            }
            Current = (positives, negatives);
            return true;
        }
    }
}
