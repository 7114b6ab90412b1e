using FhirRisk.Core;

namespace FhirRisk.Bench.Parquet;

/// <summary>
/// SplitMix64 stream: the same seed gives the same numbers on every machine and .NET version (unlike
/// <see cref="Random"/>, whose algorithm is an implementation detail), so benchmark inputs are reproducible.
/// </summary>
internal sealed class DeterministicRandom(ulong seed)
{
    private const ulong GoldenGamma = 0x9E3779B97F4A7C15UL;
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        // StableHash.Mix adds the gamma itself, so this is SplitMix64's output for state (k+1)·γ.
        _state += GoldenGamma;
        return StableHash.Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="exclusiveMax"/>).</summary>
    public int NextInt(int exclusiveMax) => (int)(((NextUInt64() >> 32) * (ulong)exclusiveMax) >> 32);

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="exclusiveMax"/>).</summary>
    public int NextInt(int min, int exclusiveMax) => min + NextInt(exclusiveMax - min);

    public bool NextBool(double probability) => NextDouble() < probability;

    /// <summary>
    /// Approximately standard normal: the Irwin–Hall sum of 12 uniforms minus 6. Plain arithmetic, so bit-identical
    /// everywhere (no libm), and its ±6 bound keeps generated values in range.
    /// </summary>
    public double NextNormal()
    {
        var sum = 0.0;
        for (var i = 0; i < 12; i++)
            sum += NextDouble();
        return sum - 6.0;
    }

    /// <summary>Exponentially distributed with the given mean.</summary>
    public double NextExponential(double mean) => -mean * Math.Log(1.0 - NextDouble());
}
