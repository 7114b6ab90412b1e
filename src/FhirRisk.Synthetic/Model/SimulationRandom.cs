using FhirRisk.Core;

namespace FhirRisk.Synthetic.Model;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014) over
/// <see cref="StableHash.Mix"/>: one stream per (seed, patient, purpose). A patient's draws therefore depend on nothing
/// but the seed and its index, so patients can be generated in any order, and the outcome draws of a patient do not
/// move when a change adds a measurement draw (those come from another purpose's stream).
/// </summary>
internal sealed class SimulationRandom
{
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;
    private ulong _state;

    public SimulationRandom(ulong seed, long patientIndex, StreamPurpose purpose)
    {
        _state = StableHash.Mix(seed ^ StableHash.Mix((ulong)patientIndex ^ StableHash.Mix((ulong)purpose)));
    }

    public ulong NextUInt64()
    {
        var value = StableHash.Mix(_state);
        _state += Gamma;
        return value;
    }

    /// <summary>Uniform on [0, 1) on a grid of 2⁻⁵³.</summary>
    public double Uniform() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double low, double high) => low + (high - low) * Uniform();

    public bool Bernoulli(double probability) => Uniform() < probability;

    /// <summary>Standard normal by Box–Muller (one value per call; the pair's second value is not kept, so no state
    /// but the counter exists).</summary>
    public double Normal()
    {
        var radius = Math.Sqrt(-2.0 * Math.Log(1.0 - Uniform()));
        return radius * Math.Cos(2.0 * Math.PI * Uniform());
    }

    public double Normal(double mean, double standardDeviation) => mean + standardDeviation * Normal();

    /// <summary>Exponential waiting time for a Poisson process of <paramref name="rate"/> events per unit time.</summary>
    public double Exponential(double rate) => -Math.Log(1.0 - Uniform()) / rate;

    /// <summary>An index drawn with probability proportional to <paramref name="weights"/> (not all zero).</summary>
    public int Choose(ReadOnlySpan<double> weights)
    {
        var total = 0.0;
        foreach (var weight in weights)
            total += weight;
        var target = Uniform() * total;
        for (var i = 0; i < weights.Length; i++)
        {
            target -= weights[i];
            if (target < 0 && weights[i] > 0)
                return i;
        }
        for (var i = weights.Length - 1; i >= 0; i--)
        {
            if (weights[i] > 0)
                return i;
        }
        throw new ArgumentException("All weights are zero.", nameof(weights));
    }
}

/// <summary>What a <see cref="SimulationRandom"/> stream is used for; each purpose is an independent stream.</summary>
internal enum StreamPurpose
{
    /// <summary>The latent state and every outcome that the ground truth describes.</summary>
    Outcomes = 1,

    /// <summary>Lab and vital values, visit times, orders and dispositions: observations of the latent state.</summary>
    Measurements = 2,

    /// <summary>Resource ids.</summary>
    Identifiers = 3,
}
