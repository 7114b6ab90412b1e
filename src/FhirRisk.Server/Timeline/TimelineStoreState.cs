using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// Whether the store can take traffic: migrated (by <see cref="TimelineStoreMigrator"/>) and answering now. Requests
/// check <see cref="EnsureReady"/> before they touch the store, so a store that is not migrated yet answers 503 rather
/// than a missing-table error.
/// </summary>
internal sealed class TimelineStoreState(ITimelineStore store, IOptions<TimelineStoreOptions> options, TimelineStoreFailureLog failures)
{
    private volatile bool _migrated;
    private volatile bool _failed;

    /// <summary>The store, its failures that answer 503 logged (<see cref="TimelineStoreFailureLog"/>, event 315).</summary>
    public ITimelineStore Store { get; } = new ObservedTimelineStore(store, failures);

    public bool IsMigrated => _migrated;

    /// <summary><c>TimelineStore:MaxPatientReadBytes</c>: the bound of a prediction's read of a patient.</summary>
    public long MaxPatientReadBytes => options.Value.MaxPatientReadBytes;

    public void MarkMigrated() => _migrated = true;

    /// <summary>An attempt to open and migrate the store failed (the migrator logged why, event 301).</summary>
    public void MarkFailed() => _failed = true;

    /// <summary>Throws <see cref="TimelineStoreUnavailableException"/> until the migrations have been applied: worded for
    /// a store still starting, or for one that could not be opened or migrated (a corrupt or unreadable file is not a
    /// pending migration; ops review s11 #4). The cause goes to the log only: callers are not the operators.</summary>
    public void EnsureReady()
    {
        if (_migrated)
            return;
        throw new TimelineStoreUnavailableException(_failed
            ? $"The {Store.Provider} timeline store is not ready: it could not be opened or migrated (the server's log, event 301, says why)."
            : $"The {Store.Provider} timeline store is not ready (its migrations have not been applied yet).");
    }

    /// <summary>Migrated, and a trivial query answers within the ping timeout.</summary>
    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        if (!_migrated)
            return false;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.PingTimeoutSeconds));
        try
        {
            await Store.PingAsync(timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is TimelineStoreUnavailableException or System.Data.Common.DbException or InvalidOperationException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            failures.Report(Store, "readiness ping", e);
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>
/// Applies the store's migrations at start, retrying with back-off (1 s doubling to 30 s) while the store cannot be
/// reached, so the server starts (live) and becomes ready when its store does.
/// </summary>
internal sealed partial class TimelineStoreMigrator(TimelineStoreState state, Health.ReadinessCheck readiness, ILogger<TimelineStoreMigrator> logger) : BackgroundService
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await state.Store.MigrateAsync(stoppingToken).ConfigureAwait(false);
                state.MarkMigrated();
                await readiness.CheckAsync(stoppingToken).ConfigureAwait(false);
                Migrated(logger, state.Store.Provider);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is TimelineStoreUnavailableException or System.Data.Common.DbException or InvalidOperationException or IOException)
            {
                // The exception's type and codes, not the driver's message: it can quote a connection string.
                state.MarkFailed();
                MigrationFailed(logger, state.Store.Provider, attempt, state.Store.DescribeFailure(e), delay.TotalSeconds);
            }
            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, delay.Ticks * 2));
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Timeline store ({Provider}) migrated and ready")]
    private static partial void Migrated(ILogger logger, string provider);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning,
        Message = "Timeline store ({Provider}) not reachable or not migratable, attempt {Attempt} ({Exception}); retrying in {Seconds} s")]
    private static partial void MigrationFailed(ILogger logger, string provider, int attempt, string exception, double seconds);
}
