using FhirRisk.Core.Statistics;

namespace FhirRisk.Training.Linear;

/// <summary>
/// Stratified, grouped k-fold assignment: all rows of one group (a patient) fall in one fold, so a validation fold never
/// scores a patient the model was trained on, and positives are spread over the folds first so each fold sees both
/// classes. Deterministic for a seed.
/// </summary>
internal static class CrossValidationFolds
{
    /// <summary>
    /// The fold of each row, or null when fewer than two folds can each hold a group with a positive and a group with a
    /// negative (too few examples to cross-validate).
    /// </summary>
    /// <param name="labels">(rows) the labels.</param>
    /// <param name="groups">(rows) group ids; rows sharing one always share a fold.</param>
    /// <param name="folds">Folds wanted; fewer are used when the classes are too small.</param>
    /// <param name="seed">Shuffle seed.</param>
    public static int[]? Assign(ReadOnlySpan<bool> labels, ReadOnlySpan<long> groups, int folds, ulong seed)
    {
        if (labels.Length != groups.Length)
            throw new ArgumentException($"{labels.Length} labels but {groups.Length} groups.", nameof(groups));
        var index = new Dictionary<long, int>();
        var members = new List<GroupCounts>();
        for (var i = 0; i < labels.Length; i++)
        {
            if (!index.TryGetValue(groups[i], out var g))
            {
                index[groups[i]] = g = members.Count;
                members.Add(new GroupCounts(g));
            }
            members[g].Add(labels[i]);
        }

        var k = Math.Min(folds, Math.Min(members.Count(m => m.Positives > 0), members.Count(m => m.Negatives > 0)));
        if (k < 2)
            return null;

        // Shuffle, then place groups with positives first (a stable partition keeps the shuffled order within each part).
        var order = members.ToArray();
        new SplitMix64(seed).Shuffle(order.AsSpan());
        order = [.. order.Where(m => m.Positives > 0), .. order.Where(m => m.Positives == 0)];
        var foldPositives = new int[k];
        var foldNegatives = new int[k];
        var foldRows = new int[k];
        var groupFold = new int[members.Count];
        foreach (var group in order)
        {
            var load = group.Positives > 0 ? foldPositives : foldNegatives;
            var best = 0;
            for (var f = 1; f < k; f++)
            {
                if (load[f] < load[best] || (load[f] == load[best] && foldRows[f] < foldRows[best]))
                    best = f;
            }
            groupFold[group.Index] = best;
            foldPositives[best] += group.Positives;
            foldNegatives[best] += group.Negatives;
            foldRows[best] += group.Positives + group.Negatives;
        }

        var assignment = new int[labels.Length];
        for (var i = 0; i < labels.Length; i++)
            assignment[i] = groupFold[index[groups[i]]];
        return assignment;
    }

    private sealed class GroupCounts(int index)
    {
        public int Index { get; } = index;

        public int Positives { get; private set; }

        public int Negatives { get; private set; }

        public void Add(bool label)
        {
            if (label)
                Positives++;
            else
                Negatives++;
        }
    }
}
