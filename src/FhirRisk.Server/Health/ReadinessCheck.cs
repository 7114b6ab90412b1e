using FhirRisk.Server.Patients;
using FhirRisk.Server.Risk;
using FhirRisk.Server.Shutdown;
using FhirRisk.Server.Timeline;
using Microsoft.Extensions.Hosting;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace FhirRisk.Server.Health;

/// <summary>
/// Ready = the model is loaded (and its rollout engine has not stopped on a failure), the timeline store is migrated and answering, and the server is not shutting down
/// (<see cref="RequestDrain"/>). Each check also sets the RiskService's gRPC health (SERVING only when ready), so HTTP
/// probes and gRPC health agree.
/// </summary>
internal sealed class ReadinessCheck(RiskModel model, TimelineStoreState store, HealthStatusRegistry health, RequestDrain drain)
{
    public async Task<Readiness> CheckAsync(CancellationToken cancellationToken)
    {
        var readiness = new Readiness(model.IsLoaded && !model.RolloutsFaulted, await store.IsReachableAsync(cancellationToken).ConfigureAwait(false), drain.IsDraining);
        health.SetStatus(RiskGrpcService.ServiceName, readiness.IsReady ? ServingStatus.Serving : ServingStatus.NotServing);
        return readiness;
    }
}

internal sealed record Readiness(bool ModelLoaded, bool StoreReachable, bool Draining)
{
    public bool IsReady => ModelLoaded && StoreReachable && !Draining;
}

/// <summary>Re-checks readiness every few seconds, so gRPC health follows a store that goes away or comes back even when
/// nothing probes the HTTP endpoint.</summary>
internal sealed class ReadinessMonitor(ReadinessCheck readiness) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            do
            {
                await readiness.CheckAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped. Also when a failed start (a port in use) disposes the host without stopping it: the host would
            // otherwise log this cancellation as a crash (critical event 10) after the one-line error.
        }
    }
}
