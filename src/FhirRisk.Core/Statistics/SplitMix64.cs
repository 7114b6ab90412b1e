namespace FhirRisk.Core.Statistics;

/// <summary>
/// A seeded SplitMix64 stream (Steele, Lea, Flood, OOPSLA 2014) over <see cref="StableHash.Mix"/>. Unlike a seeded
/// <see cref="Random"/>, whose algorithm .NET may change, the same seed gives the same draws on every runtime, so a
/// bootstrap interval or a k-shot sample can be reproduced from its seed alone.
/// </summary>
public sealed class SplitMix64
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private ulong _state;

    /// <param name="seed">The run's seed.</param>
    /// <param name="stream">Separates independent streams of one seed (a replicate, a task): each is mixed in, so
    /// neighbouring stream numbers give unrelated draws.</param>
    public SplitMix64(ulong seed, ulong stream = 0)
    {
        _state = StableHash.Mix(seed ^ StableHash.Mix(stream));
    }

    public ulong NextUInt64()
    {
        var value = StableHash.Mix(_state);
        _state += Gamma;
        return value;
    }

    /// <summary>
    /// Uniform on [0, <paramref name="count"/>) by Lemire's multiply-shift (the high 64 bits of a 128-bit product); the
    /// bias is at most count / 2⁶⁴, far below anything a bootstrap could see.
    /// </summary>
    public int NextInt(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return (int)(((UInt128)NextUInt64() * (ulong)count) >> 64);
    }

    /// <summary>Uniform on [0, 1) on a grid of 2⁻⁵³.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
