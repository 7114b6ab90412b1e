namespace FhirRisk.Training.Pretraining;

/// <summary>
/// The independent Philox keys a run derives from its one seed, so the initial weights, the training windows and the
/// dropout masks never share random words (each uses its streams from 0 up under its own key).
/// </summary>
internal static class RunSeeds
{
    public static ulong Initialization(ulong seed) => seed;

    public static ulong Data(ulong seed) => Mix(seed, 1);

    public static ulong Dropout(ulong seed) => Mix(seed, 2);

    /// <summary>SplitMix64's finalizer over (seed, purpose): a bijection that spreads nearby seeds apart.</summary>
    private static ulong Mix(ulong seed, ulong purpose)
    {
        var z = seed + (purpose * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
