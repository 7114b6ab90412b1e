namespace FhirRisk.Inference.Rollouts;

/// <summary>A request inside a <see cref="RolloutScheduler"/>: its rollouts, its tally and, once decided, its result.</summary>
public sealed class RolloutTicket
{
    private readonly Action<RolloutTicket>? _completed;

    internal RolloutTicket(RolloutRequest request, Action<RolloutTicket>? completed)
    {
        Request = request;
        Tally = new RolloutTally(request);
        _completed = completed;
    }

    public RolloutRequest Request { get; }

    /// <summary>The answer once every counted rollout has finished; null before.</summary>
    public RolloutResult? Result { get; private set; }

    /// <summary>True once answered or cancelled.</summary>
    public bool IsDone => Result is not null || IsCancelled;

    public bool IsCancelled { get; internal set; }

    internal RolloutTally Tally { get; }

    /// <summary>The next rollout index to start.</summary>
    internal int NextIndex { get; set; }

    internal List<RolloutSequence> InFlight { get; } = [];

    internal void Complete()
    {
        Result = Tally.Result();
        _completed?.Invoke(this);
    }
}
