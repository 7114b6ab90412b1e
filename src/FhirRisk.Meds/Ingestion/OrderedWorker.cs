namespace FhirRisk.Meds.Ingestion;

/// <summary>
/// Runs a pure transform (parse, map) on the thread pool while the caller keeps reading input, and hands the results
/// back strictly in submission order. The transform must not touch the run's outputs: every side effect (spool,
/// quarantine, tally, index) stays on the caller's thread and happens in input order, which keeps the output
/// byte-identical run to run however the items were scheduled. At most <c>capacity</c> items are in flight, so memory
/// stays bounded however large the input.
/// </summary>
internal sealed class OrderedWorker<TIn, TOut>(Func<TIn, TOut> transform, int capacity) : IDisposable
{
    private readonly Queue<Task<TOut>> _inFlight = new();

    /// <summary>Starts the transform of an item, first waiting for the oldest one when <c>capacity</c> are in flight.</summary>
    public void Submit(TIn item)
    {
        if (_inFlight.Count >= capacity)
            WaitFor(_inFlight.Peek());
        _inFlight.Enqueue(Task.Run(() => transform(item)));
    }

    /// <summary>The oldest result, if it is ready now (a failed transform rethrows here).</summary>
    public bool TryTake(out TOut result)
    {
        if (_inFlight.Count > 0 && _inFlight.Peek().IsCompleted)
        {
            result = _inFlight.Dequeue().GetAwaiter().GetResult();
            return true;
        }
        result = default!;
        return false;
    }

    /// <summary>The remaining results in order, each once it is ready.</summary>
    public IEnumerable<TOut> Finish()
    {
        while (_inFlight.Count > 0)
            yield return _inFlight.Dequeue().GetAwaiter().GetResult();
    }

    /// <summary>Waits for transforms still running (after a failure or cancellation) so none outlives the pass.</summary>
    public void Dispose()
    {
        foreach (var task in _inFlight)
            WaitFor(task);
        _inFlight.Clear();
    }

    // A failure is rethrown, unwrapped, by the TryTake or Finish that takes the task; waiting only waits.
    private static void WaitFor(Task task)
    {
        try
        {
            task.Wait();
        }
        catch (AggregateException)
        {
        }
    }
}
