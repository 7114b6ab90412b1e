namespace FhirRisk.Bench.Parquet;

/// <summary>
/// Draws ranks 0..n-1 with probability ∝ 1/(rank+1)^s. Clinical code frequencies are heavy-tailed this way:
/// a few labs and diagnoses make up most events, thousands of codes occur rarely.
/// </summary>
internal sealed class ZipfSampler
{
    private readonly double[] _cumulative;

    public ZipfSampler(int count, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _cumulative = new double[count];
        var total = 0.0;
        for (var rank = 0; rank < count; rank++)
        {
            total += 1.0 / Math.Pow(rank + 1, exponent);
            _cumulative[rank] = total;
        }

        for (var rank = 0; rank < count; rank++)
            _cumulative[rank] /= total;
    }

    public int Count => _cumulative.Length;

    public int Sample(DeterministicRandom random)
    {
        var index = Array.BinarySearch(_cumulative, random.NextDouble());
        // A miss returns the complement of the first larger entry, which is the drawn rank.
        var rank = index >= 0 ? index : ~index;
        return Math.Min(rank, _cumulative.Length - 1);
    }
}
