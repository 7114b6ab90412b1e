using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Patients;

/// <summary>
/// Admission control for work that samples futures on the rollout scheduler (docs/operations.md "Load shedding"). The
/// scheduler batches every admitted request into shared decode steps, but on a few cores that barely raises throughput:
/// each extra request mostly makes all of them slower, and without a bound a burst queues for minutes. So at most
/// <see cref="Capacity"/> requests are admitted at once; a request waits up to <c>Model:RolloutQueueTimeout</c> for a
/// place (first come, first served), and is otherwise shed: the caller then answers by the heads or rejects it.
/// </summary>
internal sealed class RolloutAdmission : IDisposable
{
    /// <summary>Weight of the newest admitted request's duration in the running mean behind <see cref="RetryAfter"/>.</summary>
    private const double DurationWeight = 0.2;

    private readonly SemaphoreSlim _places;
    private readonly TimeSpan _queueTimeout;
    private readonly Lock _durationLock = new();
    private double _meanSeconds;
    private long _admitted;
    private long _fellBack;
    private long _rejected;

    public RolloutAdmission(IOptions<RiskModelOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        var threads = value.Threads > 0 ? value.Threads : Environment.ProcessorCount;
        Capacity = value.RolloutConcurrency > 0 ? value.RolloutConcurrency : threads;
        _queueTimeout = value.RolloutQueueTimeout;
        _places = new SemaphoreSlim(Capacity, Capacity);
    }

    /// <summary>Requests admitted at once.</summary>
    public int Capacity { get; }

    /// <summary>Requests admitted now.</summary>
    public int InFlight => Capacity - _places.CurrentCount;

    public long Admitted => Interlocked.Read(ref _admitted);

    /// <summary>Shed predictions the heads answered instead.</summary>
    public long FellBack => Interlocked.Read(ref _fellBack);

    /// <summary>Shed requests rejected as busy.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>
    /// When to try again: the running mean duration of admitted requests (a place frees about that often per admitted
    /// request), rounded up to whole seconds, at least 1 s.
    /// </summary>
    public TimeSpan RetryAfter
    {
        get
        {
            double mean;
            lock (_durationLock)
                mean = _meanSeconds;
            return TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(mean)));
        }
    }

    /// <summary>A place for one request, or null once the queue timeout has passed without one; with
    /// <paramref name="waitForPlace"/>, a place whenever one frees (or cancellation).</summary>
    public async Task<Lease?> TryEnterAsync(CancellationToken cancellationToken, bool waitForPlace = false)
    {
        if (!await _places.WaitAsync(waitForPlace ? Timeout.InfiniteTimeSpan : _queueTimeout, cancellationToken).ConfigureAwait(false))
            return null;
        Interlocked.Increment(ref _admitted);
        return new Lease(this, Stopwatch.GetTimestamp());
    }

    /// <summary>A place for one request, or <see cref="RiskModelBusyException"/> (counted as rejected).</summary>
    public async Task<Lease> EnterOrRejectAsync(CancellationToken cancellationToken) =>
        await TryEnterAsync(cancellationToken).ConfigureAwait(false) ?? throw Reject();

    /// <summary>Counts a shed prediction that the heads answered.</summary>
    public void CountFallBack() => Interlocked.Increment(ref _fellBack);

    /// <summary>Counts a shed request and returns the exception that rejects it.</summary>
    public RiskModelBusyException Reject()
    {
        Interlocked.Increment(ref _rejected);
        return new RiskModelBusyException(RetryAfter);
    }

    public void Dispose() => _places.Dispose();

    private void Leave(long started)
    {
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        lock (_durationLock)
            _meanSeconds = _meanSeconds == 0 ? seconds : _meanSeconds + (DurationWeight * (seconds - _meanSeconds));
        _places.Release();
    }

    /// <summary>One admitted request's place; disposing it frees the place (once).</summary>
    internal sealed class Lease(RolloutAdmission owner, long started) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
                owner.Leave(started);
        }
    }
}

/// <summary>
/// The rollout engine is at capacity and the request was not answered (CDS Hooks 503 with Retry-After, gRPC
/// RESOURCE_EXHAUSTED). The message holds no patient data.
/// </summary>
internal sealed class RiskModelBusyException(TimeSpan retryAfter)
    : Exception(string.Create(CultureInfo.InvariantCulture,
        $"The rollout engine is at capacity (Model:RolloutConcurrency); retry in {retryAfter.TotalSeconds:0} s, or ask for the heads."))
{
    /// <summary>When to try again.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}
