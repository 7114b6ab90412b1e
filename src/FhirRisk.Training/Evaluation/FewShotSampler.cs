using FhirRisk.Core;
using FhirRisk.Core.Statistics;

namespace FhirRisk.Training.Evaluation;

/// <summary>
/// Draws k examples per class the way EHRSHOT does (reference/peers.md §3.3, <c>6_generate_shots.py</c>): per replicate
/// and class one ordered draw of max-k examples, and each k takes the first k of it, so the samples of one replicate
/// are nested (the k = 4 sample contains the k = 2 one) and a curve over k moves by data added, not by a new draw.
/// The draw is a random permutation of the class, so a k no larger than the class holds k distinct examples; only a class
/// with fewer than max-k examples continues, after its whole permutation, with draws with replacement. EHRSHOT draws
/// such a class with replacement from the first example on, so its k = 8 of a 10-example class holds about 6 distinct
/// ones; here it holds 8, and every k of a class of at least max-k examples is drawn as EHRSHOT draws it.
/// </summary>
public sealed class FewShotSampler
{
    private readonly Dictionary<bool, LabeledPoint[]> _draws;

    /// <param name="pool">The examples to draw from (a split's labeled points of one task).</param>
    /// <param name="maxShots">The largest k that will be asked for.</param>
    /// <param name="seed">The experiment's seed.</param>
    /// <param name="stream">Identifies the draw: task, pool and replicate (see <see cref="StreamOf"/>).</param>
    /// <param name="poolName">Names the pool in errors (e.g. <c>hospital_mortality train</c>).</param>
    public FewShotSampler(IReadOnlyList<LabeledPoint> pool, int maxShots, ulong seed, ulong stream, string poolName)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShots);
        _draws = [];
        foreach (var label in new[] { true, false })
        {
            var members = pool.Where(p => p.Label == label).ToArray();
            if (members.Length == 0)
                throw new EvaluationInputException(
                    Issue.Error(EvaluationIssueCodes.FewShotClassMissing, poolName, $"The pool has no {(label ? "positive" : "negative")} examples ({pool.Count:N0} points), so k per class cannot be drawn."),
                    "check the labels of this split; a task with no positives cannot be trained or evaluated.");
            var random = new SplitMix64(seed, StableHash.Mix(stream ^ (label ? 1UL : 2UL)));
            _draws[label] = Draw(members, maxShots, random);
        }
    }

    /// <summary>A stream id for (task, pool, replicate): independent draws for each.</summary>
    public static ulong StreamOf(string task, string pool, int replicate) =>
        StableHash.Mix((ulong)StableHash.Of63($"{task}\n{pool}")) ^ StableHash.Mix((ulong)replicate);

    /// <summary>The first <paramref name="k"/> positives and the first <paramref name="k"/> negatives of the draw.</summary>
    public IReadOnlyList<LabeledPoint> Take(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (k > _draws[true].Length)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"The sampler drew {_draws[true].Length} per class.");
        return [.. _draws[true].Take(k), .. _draws[false].Take(k)];
    }

    /// <summary>The first <paramref name="count"/> of a permutation of <paramref name="members"/>, continued with draws
    /// with replacement when there are fewer members than that.</summary>
    private static LabeledPoint[] Draw(LabeledPoint[] members, int count, SplitMix64 random)
    {
        var permutation = (LabeledPoint[])members.Clone();
        random.Shuffle(permutation.AsSpan());
        if (permutation.Length >= count)
            return permutation[..count];
        var draw = new LabeledPoint[count];
        permutation.CopyTo(draw, 0);
        for (var i = permutation.Length; i < count; i++)
            draw[i] = members[random.NextInt(members.Length)];
        return draw;
    }
}
