namespace FhirRisk.Inference.Rollouts;

/// <summary>How a <see cref="RolloutScheduler"/> uses memory and windows.</summary>
/// <param name="MemoryCapBytes">The most bytes of per-sequence decoder memory (KV cache and step scratch,
/// <see cref="KvCachePool.BytesPerSlot"/>). Default 256 MiB.</param>
/// <param name="MaxSlots">The most sequences decoded at once even when the cap allows more. Default 64.</param>
/// <param name="Slide">Timeline tokens a full window drops per jump (<see cref="ContextWindow"/>); null for a quarter of
/// the timeline room.</param>
/// <param name="MaxRowsPerStep">The most tokens one decode step feeds over all its slots, so that a prompt or a jumped
/// window is read in one pass (prefill) rather than one token per step. Default 2,048; never fewer than the slots, and
/// only as many as the cap leaves after the slots (<see cref="KvCachePool.BytesPerRow"/> each).</param>
public sealed record RolloutSchedulerOptions(long MemoryCapBytes = 256L << 20, int MaxSlots = 64, int? Slide = null, int MaxRowsPerStep = 2048)
{
    public static RolloutSchedulerOptions Default { get; } = new();
}
