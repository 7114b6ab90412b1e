using FhirRisk.Core;

namespace FhirRisk.Training.Pretraining;

/// <summary>
/// The independent Philox keys a run derives from its one seed, so the initial weights, the training windows and the
/// dropout masks never share random words (each uses its streams from 0 up under its own key).
/// </summary>
internal static class RunSeeds
{
    public static ulong Initialization(ulong seed) => seed;

    public static ulong Data(ulong seed) => StableHash.DeriveKey(seed, 1);

    public static ulong Dropout(ulong seed) => StableHash.DeriveKey(seed, 2);
}
