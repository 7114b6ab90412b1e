namespace FhirRisk.Inference.Rollouts;

/// <summary>
/// What a <see cref="RolloutScheduler"/> has done so far and how full its batch is, for a host's metrics. The scheduler
/// is driven by one thread; these values are written there and may be read from any thread.
/// </summary>
public sealed class RolloutSchedulerCounters
{
    private long _steps;
    private long _rowsFed;
    private long _rolloutsFinished;
    private int _slotsInUse;

    /// <summary>Decode steps run so far.</summary>
    public long Steps => Volatile.Read(ref _steps);

    /// <summary>Rows fed through the model so far (prefill and generation); rows per step is the mean batch occupancy.</summary>
    public long RowsFed => Volatile.Read(ref _rowsFed);

    /// <summary>Rollouts that ran to an outcome and were counted (speculative rollouts dropped unfinished are not).</summary>
    public long RolloutsFinished => Volatile.Read(ref _rolloutsFinished);

    /// <summary>KV-cache slots held by decoding rollouts now.</summary>
    public int SlotsInUse => Volatile.Read(ref _slotsInUse);

    internal void RecordStep(int rows)
    {
        Volatile.Write(ref _steps, _steps + 1);
        Volatile.Write(ref _rowsFed, _rowsFed + rows);
    }

    internal void RecordFinishedRollout() => Volatile.Write(ref _rolloutsFinished, _rolloutsFinished + 1);

    internal void RecordSlotsInUse(int slots) => Volatile.Write(ref _slotsInUse, slots);
}
