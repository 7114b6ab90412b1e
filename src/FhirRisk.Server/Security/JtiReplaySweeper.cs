using FhirRisk.Server.Timeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Security;

/// <summary>
/// Deletes the expired rows of the shared replay store (<see cref="TimelineJtiReplayGuard"/>) every
/// <see cref="Interval"/>, in batches of <see cref="BatchSize"/> and at most <see cref="MaxBatches"/> a sweep, so one
/// sweep's work is bounded and no statement holds its locks for long; what is left goes at the next sweep. A row is
/// needed only until its token expires (at most <c>MaxTokenLifetime</c> + <c>ClockSkew</c>): an expired row no longer
/// refuses anything (<see cref="ITimelineStore.RecordClientTokenAsync"/> takes it over), so a sweep that fails (event
/// 322) costs disk, not correctness. Every replica sweeps; the deletes are idempotent. Nothing runs in memory mode.
/// </summary>
/// <remarks>A plain hosted service with a loop of its own, not a <see cref="BackgroundService"/>: registered last before
/// the server, its <c>ExecuteAsync</c>, not yet running when a start failed (a port in use), was cancelled, and the host
/// logged that as a failed service with its trace, which the one-line port-in-use report exists to avoid
/// (<c>ConfigurationSourcesTests</c>). Here the host watches nothing: the loop ends at <see cref="StopAsync"/>.</remarks>
internal sealed class JtiReplaySweeper(IJtiReplayGuard guard, TimeProvider time, ILogger<JtiReplaySweeper> logger) : IHostedService, IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    public const int BatchSize = 1000;
    public const int MaxBatches = 100;

    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (guard is TimelineJtiReplayGuard shared)
            _loop = Task.Run(() => LoopAsync(shared.Store, _stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>Sweeps until <see cref="StopAsync"/>. A sweep that throws anything but the cancellation of the stop —
    /// an exception its own catch does not expect, a bug — is logged (event 322) and the loop goes on: before, such an
    /// exception ended the loop unseen and nothing was swept until a restart (security review s13 L12).</summary>
    private async Task LoopAsync(TimelineStoreState store, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                await SweepAsync(store, logger, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                SecurityLog.ReplaySweepFailed(logger, store.Store.Provider, store.Store.DescribeFailure(e));
            }
            try
            {
                await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One sweep: batches until one deletes less than a full batch, or <see cref="MaxBatches"/>. Returns the
    /// rows deleted. Skipped until the store is migrated.</summary>
    internal static async Task<int> SweepAsync(TimelineStoreState store, ILogger logger, CancellationToken cancellationToken)
    {
        if (!store.IsMigrated)
            return 0;
        var removed = 0;
        try
        {
            for (var batch = 0; batch < MaxBatches; batch++)
            {
                var deleted = await store.Store.RemoveExpiredClientTokensAsync(BatchSize, cancellationToken).ConfigureAwait(false);
                removed += deleted;
                if (deleted < BatchSize)
                    break;
            }
        }
        catch (Exception e) when (e is TimelineStoreUnavailableException or System.Data.Common.DbException or InvalidOperationException)
        {
            // The type and codes only (a driver's message can quote a connection string); the next sweep tries again.
            SecurityLog.ReplaySweepFailed(logger, store.Store.Provider, store.Store.DescribeFailure(e));
        }
        return removed;
    }
}
