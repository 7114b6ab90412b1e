namespace FhirRisk.Model.Cpu;

/// <summary>
/// Dimensions of one causal attention call: B sequences of T positions, C channels split into NH heads of
/// HS = C / NH channels. Rows of <c>qkv</c> hold <c>[q | k | v]</c> (3C floats); rows of the output hold C floats.
/// </summary>
internal readonly record struct AttentionShape(int B, int T, int C, int NH)
{
    /// <summary>Channels per head.</summary>
    public int HS => C / NH;

    /// <summary>Floats per row of <c>qkv</c>.</summary>
    public int C3 => 3 * C;

    /// <summary>Query (and key) tiles per sequence.</summary>
    public int Tiles => (T + AttentionBlocked.Tile - 1) / AttentionBlocked.Tile;

    /// <summary>Softmax temperature 1/√HS (Vaswani et al. 2017, eq. 1).</summary>
    public float Scale => 1f / MathF.Sqrt(HS);

    public long QkvLength => (long)B * T * C3;

    public long OutputLength => (long)B * T * C;

    public long StatsLength => (long)B * NH * T;

    /// <summary>Throws <see cref="ArgumentException"/> unless the dimensions are positive and the heads divide C.</summary>
    public void Validate()
    {
        if (B < 1 || T < 1 || C < 1 || NH < 1)
            throw new ArgumentException($"B, T, C and NH must be positive (got B={B}, T={T}, C={C}, NH={NH}).");
        if (C % NH != 0)
            throw new ArgumentException($"C={C} is not divisible by NH={NH}.");
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="name"/> when <paramref name="length"/> differs from
    /// <paramref name="expected"/>.</summary>
    public static void Require(int length, long expected, string name)
    {
        if (length != expected)
            throw new ArgumentException($"{name} has {length} floats; the shape needs {expected}.", name);
    }
}
