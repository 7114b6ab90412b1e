namespace FhirRisk.Inference.Rollouts;

/// <summary>How a <see cref="RolloutScheduler"/> uses memory and windows.</summary>
/// <param name="MemoryCapBytes">The most bytes of per-sequence decoder memory (KV cache and step scratch,
/// <see cref="KvCachePool.BytesPerSlot"/>). Default 256 MiB.</param>
/// <param name="MaxSlots">The most sequences decoded at once even when the cap allows more. Default 64.</param>
/// <param name="Slide">Timeline tokens a full window drops per jump (<see cref="ContextWindow"/>); null for a quarter of
/// the timeline room.</param>
public sealed record RolloutSchedulerOptions(long MemoryCapBytes = 256L << 20, int MaxSlots = 64, int? Slide = null)
{
    public static RolloutSchedulerOptions Default { get; } = new();
}
