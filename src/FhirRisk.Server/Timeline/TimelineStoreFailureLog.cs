using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// Warns (event 315) when the store fails a request after start-up — a write refused by a full disk or a read-only
/// volume, a deadlock that outlasted its retries, a database that went away — with <see cref="TimelineStoreFailure"/>'s
/// description (type, SQLite or SQL state code, file-system message; never a driver's message or a patient's data).
/// At most one line per operation per <see cref="Interval"/>: a full disk under a push every few seconds must not
/// flood the log, so the next line counts the failures it stood for (ops review s11 #3: none was logged at all).
/// </summary>
internal sealed partial class TimelineStoreFailureLog(ILogger<TimelineStoreFailureLog> logger, TimeProvider time)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, (DateTimeOffset LoggedAt, int Suppressed)> _windows = new(StringComparer.Ordinal);

    /// <param name="store">The store that failed: its provider and its description of the failure.</param>
    /// <param name="operation">What failed, in words: <c>write</c>, <c>read</c>, <c>erasure</c>, <c>readiness ping</c>.</param>
    public void Report(ITimelineStore store, string operation, Exception exception)
    {
        int suppressed;
        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (_windows.TryGetValue(operation, out var window) && now - window.LoggedAt < Interval)
            {
                _windows[operation] = window with { Suppressed = window.Suppressed + 1 };
                return;
            }
            suppressed = window.Suppressed;
            _windows[operation] = (now, 0);
        }
        Failed(logger, store.Provider, operation, store.DescribeFailure(exception), suppressed, Interval.TotalSeconds);
    }

    [LoggerMessage(EventId = 315, Level = LogLevel.Warning,
        Message = "Timeline store ({Provider}) {Operation} failed ({Failure}); {Suppressed} more such failures since the last line (one line per operation per {Seconds} s)")]
    private static partial void Failed(ILogger logger, string provider, string operation, string failure, int suppressed, double seconds);
}

/// <summary>The store as requests use it (<see cref="TimelineStoreState.Store"/>): every call passed on, and a failure
/// that answers 503/UNAVAILABLE reported to <see cref="TimelineStoreFailureLog"/> before it is rethrown. Migrations,
/// retention sweeps and the CDS client token ids log their own failures (events 301, 314, 320, 322).</summary>
internal sealed class ObservedTimelineStore(ITimelineStore inner, TimelineStoreFailureLog failures) : ITimelineStore
{
    public string Provider => inner.Provider;

    public Task MigrateAsync(CancellationToken cancellationToken = default) => inner.MigrateAsync(cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken = default) => inner.PingAsync(cancellationToken);

    public string DescribeFailure(Exception exception) => inner.DescribeFailure(exception);

    public Task<IReadOnlyList<TimelineWriteResult>> WriteAsync(IReadOnlyList<TimelineResource> resources, CancellationToken cancellationToken = default) =>
        Observe("write", () => inner.WriteAsync(resources, cancellationToken));

    public Task<IReadOnlyList<TimelineResource>> ReadPatientAsync(string patientId, CancellationToken cancellationToken = default) =>
        Observe("read", () => inner.ReadPatientAsync(patientId, cancellationToken));

    public Task<TimelinePatientRead> ReadPatientWithinAsync(string patientId, long maxBytes, CancellationToken cancellationToken = default) =>
        Observe("read", () => inner.ReadPatientWithinAsync(patientId, maxBytes, cancellationToken));

    public Task<IReadOnlyList<TimelineResource>> ReadReferencedAsync(string resourceType, IReadOnlyCollection<string> ids,
        IReadOnlyCollection<string> fullUrls, CancellationToken cancellationToken = default) =>
        Observe("read", () => inner.ReadReferencedAsync(resourceType, ids, fullUrls, cancellationToken));

    public Task<TimelineResource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default) =>
        Observe("read", () => inner.ReadAsync(resourceType, id, cancellationToken));

    public Task<TimelinePurgeResult> PurgePatientAsync(string patientId, CancellationToken cancellationToken = default) =>
        Observe("erasure", () => inner.PurgePatientAsync(patientId, cancellationToken));

    public Task<TimelineRetentionResult> PurgeInactiveAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        inner.PurgeInactiveAsync(cutoff, cancellationToken);

    // The replay guard and its sweep log their own failures (security events 320, 322): they say what a failure does to
    // CDS client authentication, which a store line would not.
    public Task<bool> RecordClientTokenAsync(string issuer, string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        inner.RecordClientTokenAsync(issuer, jti, expiresAt, cancellationToken);

    public Task<int> RemoveExpiredClientTokensAsync(int maxRows, CancellationToken cancellationToken = default) =>
        inner.RemoveExpiredClientTokensAsync(maxRows, cancellationToken);

    private async Task<T> Observe<T>(string operation, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (TimelineStoreUnavailableException e)
        {
            failures.Report(inner, operation, e);
            throw;
        }
    }
}
