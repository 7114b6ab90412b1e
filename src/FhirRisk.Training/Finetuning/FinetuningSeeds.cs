using FhirRisk.Core;

namespace FhirRisk.Training.Finetuning;

/// <summary>The independent random keys a finetuning run derives from its one seed (SplitMix64's finalizer over
/// (seed, purpose)), so the task-token rows, the order of the points and the dropout masks never share random words.</summary>
internal static class FinetuningSeeds
{
    public static ulong TaskTokens(ulong seed) => StableHash.DeriveKey(seed, 1);

    public static ulong Order(ulong seed) => StableHash.DeriveKey(seed, 2);

    public static ulong Dropout(ulong seed) => StableHash.DeriveKey(seed, 3);
}
