namespace FhirRisk.Training.Finetuning;

/// <summary>The independent random keys a finetuning run derives from its one seed (SplitMix64's finalizer over
/// (seed, purpose)), so the task-token rows, the order of the points and the dropout masks never share random words.</summary>
internal static class FinetuningSeeds
{
    public static ulong TaskTokens(ulong seed) => Mix(seed, 1);

    public static ulong Order(ulong seed) => Mix(seed, 2);

    public static ulong Dropout(ulong seed) => Mix(seed, 3);

    private static ulong Mix(ulong seed, ulong purpose)
    {
        var z = seed + (purpose * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
