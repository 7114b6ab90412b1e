using System.Globalization;

namespace FhirRisk.Server.Http;

/// <summary>
/// Admission for one kind of work that holds memory while it runs (docs/operations.md "Work limits"): CDS Hooks service
/// calls, whose bodies and fetched FHIR pages can each be tens of MiB, and FHIR push / gRPC <c>Ingest</c>, which parse
/// and store up to <c>FhirPush:MaxBodyBytes</c>. Without a bound, a few callers sending large requests at once take the
/// process past its memory limit and every request fails with it (security review s12 #9). At most
/// <see cref="Capacity"/> run at once; one more waits up to the queue timeout for a place (first come, first served) and
/// is otherwise refused — 503 with <c>Retry-After</c>, gRPC RESOURCE_EXHAUSTED — before its body is read.
/// </summary>
internal sealed class WorkLimiter : IDisposable
{
    private readonly SemaphoreSlim _places;
    private readonly TimeSpan _queueTimeout;
    private readonly ThrottledWarning _warning;
    private readonly ILogger _logger;
    private long _admitted;
    private long _rejected;

    /// <param name="work">What is limited, for the log: "CDS Hooks calls".</param>
    /// <param name="setting">The setting that sets <paramref name="capacity"/>, named in the log and the refusal.</param>
    public WorkLimiter(string work, string setting, int capacity, TimeSpan queueTimeout, TimeProvider time, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        (Work, Setting, Capacity, _queueTimeout) = (work, setting, capacity, queueTimeout);
        _warning = new ThrottledWarning(time);
        _logger = logger;
        _places = new SemaphoreSlim(capacity, capacity);
    }

    public string Work { get; }

    public string Setting { get; }

    /// <summary>Requests run at once.</summary>
    public int Capacity { get; }

    /// <summary>Requests running now.</summary>
    public int InFlight => Capacity - _places.CurrentCount;

    public long Admitted => Interlocked.Read(ref _admitted);

    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Whole seconds a refused caller should wait: the queue timeout, rounded up, at least 1.</summary>
    public string RetryAfterSeconds => Math.Max(1, (long)Math.Ceiling(_queueTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>The refusal's text: what is at capacity and which setting bounds it.</summary>
    public string RefusalMessage => $"The server is at its limit of {Capacity} {Work} at once ({Setting}); retry after the Retry-After seconds.";

    /// <summary>A place, or null (counted and logged as a refusal) once the queue timeout has passed without one.</summary>
    public async Task<IDisposable?> TryEnterAsync(CancellationToken cancellationToken)
    {
        if (!await _places.WaitAsync(_queueTimeout, cancellationToken).ConfigureAwait(false))
        {
            Interlocked.Increment(ref _rejected);
            if (_warning.TryBegin(out var earlier))
                WorkLimitLog.Refused(_logger, Work, Capacity, Setting, earlier + 1);
            return null;
        }
        Interlocked.Increment(ref _admitted);
        return new Lease(_places);
    }

    public void Dispose() => _places.Dispose();

    private sealed class Lease(SemaphoreSlim places) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
                places.Release();
        }
    }
}

internal static partial class WorkLimitLog
{
    [LoggerMessage(EventId = 504, Level = LogLevel.Warning,
        Message = "Refused {Refused} request(s) since the last such line: {Work} at their limit of {Capacity} at once ({Setting}); answered 503 or RESOURCE_EXHAUSTED with Retry-After")]
    public static partial void Refused(ILogger logger, string work, int capacity, string setting, long refused);

    [LoggerMessage(EventId = 505, Level = LogLevel.Warning,
        Message = "Refused {Refused} CDS Hooks call(s) since the last such line: the bodies and FHIR pages of the calls in flight reached {Budget} bytes (CdsHooks:MaxBytesInFlight); answered 503 with Retry-After")]
    public static partial void BytesInFlightFull(ILogger logger, long budget, long refused);
}
