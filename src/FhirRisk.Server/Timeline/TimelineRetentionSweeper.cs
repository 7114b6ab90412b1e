using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// Applies <c>TimelineStore:RetentionDays</c> (docs/timeline-store.md "Erasure and retention"): once the store is
/// migrated, then every <c>RetentionSweepMinutes</c>. Off when RetentionDays is 0. Logs counts only, never ids.
/// </summary>
internal sealed partial class TimelineRetentionSweeper(TimelineStoreState state, IOptions<TimelineStoreOptions> options, TimeProvider time,
    ILogger<TimelineRetentionSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan MigrationPoll = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.RetentionDays == 0)
            return;
        try
        {
            while (!state.IsMigrated)
                await Task.Delay(MigrationPoll, stoppingToken).ConfigureAwait(false);
            while (true)
            {
                await SweepAsync(settings.RetentionDays, stoppingToken).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromMinutes(settings.RetentionSweepMinutes), stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SweepAsync(int retentionDays, CancellationToken cancellationToken)
    {
        try
        {
            var removed = await state.Store.PurgeInactiveAsync(time.GetUtcNow() - TimeSpan.FromDays(retentionDays), cancellationToken).ConfigureAwait(false);
            Swept(logger, state.Store.Provider, retentionDays, removed.Patients, removed.Linked, removed.Unlinked);
        }
        catch (Exception e) when (e is TimelineStoreUnavailableException or System.Data.Common.DbException or InvalidOperationException)
        {
            // The next sweep tries again; the type and codes only (a driver's message can quote a connection string).
            SweepFailed(logger, state.Store.Provider, state.Store.DescribeFailure(e));
        }
    }

    [LoggerMessage(EventId = 313, Level = LogLevel.Information,
        Message = "Timeline store ({Provider}) retention of {Days} days: removed {Patients} patients ({Linked} resources) and {Unlinked} resources without a patient")]
    private static partial void Swept(ILogger logger, string provider, int days, int patients, int linked, int unlinked);

    [LoggerMessage(EventId = 314, Level = LogLevel.Warning, Message = "Timeline store ({Provider}) retention sweep failed ({Exception}); retrying at the next sweep")]
    private static partial void SweepFailed(ILogger logger, string provider, string exception);
}
