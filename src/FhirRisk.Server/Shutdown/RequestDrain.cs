using FhirRisk.Server.Health;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Shutdown;

/// <summary>
/// Graceful shutdown: counts the work in flight (<see cref="Http.RequestKind.IsWork"/>) and, when the host begins to
/// stop, drains it before Kestrel closes. <see cref="IHostedLifecycleService.StoppingAsync"/> runs before any hosted
/// service stops, the web server included, so while it waits the listeners still answer: readiness and gRPC health say
/// not serving, new work is refused (HTTP 503, gRPC UNAVAILABLE), and the work already accepted runs to its end. Work
/// still running after <see cref="DrainOptions.DrainTimeout"/> is cancelled.
/// </summary>
internal sealed partial class RequestDrain(IOptions<DrainOptions> options, HealthStatusRegistry health, ILogger<RequestDrain> logger)
    : IHostedLifecycleService, IDisposable
{
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _cancelInFlight = new();
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private bool _draining;

    /// <summary>True once shutdown has begun: the server is no longer ready.</summary>
    public bool IsDraining
    {
        get
        {
            lock (_gate)
                return _draining;
        }
    }

    /// <summary>Work requests running now.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
                return _inFlight;
        }
    }

    /// <summary>Cancelled when the drain times out: in-flight work links it into its request's token.</summary>
    public CancellationToken DrainTimedOut => _cancelInFlight.Token;

    /// <summary>Admits one piece of work; false once draining (refuse it). Admitted work must call <see cref="Exit"/>.</summary>
    public bool TryEnter()
    {
        lock (_gate)
        {
            if (_draining)
                return false;
            _inFlight++;
            return true;
        }
    }

    public void Exit()
    {
        lock (_gate)
        {
            if (--_inFlight == 0 && _draining)
                _idle.TrySetResult();
        }
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        int inFlight;
        lock (_gate)
        {
            _draining = true;
            inFlight = _inFlight;
            if (inFlight == 0)
                _idle.TrySetResult();
        }
        health.EnterShutdown();
        var timeout = options.Value.DrainTimeout;
        DrainStarted(logger, inFlight, timeout.TotalSeconds);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            await _idle.Task.WaitAsync(bounded.Token).ConfigureAwait(false);
            DrainCompleted(logger);
        }
        catch (OperationCanceledException)
        {
            DrainTimedOutCancelling(logger, InFlight, timeout.TotalSeconds);
            await _cancelInFlight.CancelAsync().ConfigureAwait(false);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _cancelInFlight.Dispose();

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Shutting down: not ready, refusing new work, draining {InFlight} request(s) for up to {TimeoutSeconds} s")]
    private static partial void DrainStarted(ILogger logger, int inFlight, double timeoutSeconds);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Drain complete: no work in flight")]
    private static partial void DrainCompleted(ILogger logger);

    [LoggerMessage(EventId = 502, Level = LogLevel.Warning, Message = "Drain timed out after {TimeoutSeconds} s: cancelling {InFlight} request(s) still in flight")]
    private static partial void DrainTimedOutCancelling(ILogger logger, int inFlight, double timeoutSeconds);
}
