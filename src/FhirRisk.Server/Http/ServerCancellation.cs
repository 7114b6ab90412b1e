namespace FhirRisk.Server.Http;

/// <summary>
/// Tells the server's own cancellation of a request's work apart from the client going away. The shutdown drain
/// (<see cref="Shutdown.DrainMiddleware"/>) replaces <see cref="HttpContext.RequestAborted"/> with a token that also fires
/// when the drain times out, so that every await of the work stops; this feature keeps the client's own token. A client
/// that went away can be sent nothing. A client whose work the server cancelled is still waiting and must be told to
/// retry (HTTP 503, gRPC UNAVAILABLE): returning quietly, as for a client gone, sent it an empty 200 — a pushed bundle
/// then read as delivered though nothing was stored (review s11-ops #1).
/// </summary>
internal sealed class ServerCancellation
{
    private readonly CancellationToken _clientAborted;
    private readonly CancellationToken _serverCancelled;

    private ServerCancellation(CancellationToken clientAborted, CancellationToken serverCancelled) =>
        (_clientAborted, _serverCancelled) = (clientAborted, serverCancelled);

    /// <summary>Makes <paramref name="http"/>'s <see cref="HttpContext.RequestAborted"/> fire also when
    /// <paramref name="serverCancelled"/> does. Dispose the result when the request ends: it gives the request its
    /// client's token back.</summary>
    public static IDisposable Link(HttpContext http, CancellationToken serverCancelled)
    {
        ArgumentNullException.ThrowIfNull(http);
        var clientAborted = http.RequestAborted;
        var linked = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, serverCancelled);
        http.Features.Set(new ServerCancellation(clientAborted, serverCancelled));
        http.RequestAborted = linked.Token;
        return new Unlink(http, clientAborted, linked);
    }

    /// <summary>Fires when the client goes away, not when the server cancels the work.</summary>
    public static CancellationToken ClientAborted(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Features.Get<ServerCancellation>() is { } feature ? feature._clientAborted : http.RequestAborted;
    }

    /// <summary>True when the server cancelled this request's work while its client still waits for an answer.</summary>
    public static bool IsRequested(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Features.Get<ServerCancellation>() is { } feature
            && feature._serverCancelled.IsCancellationRequested
            && !feature._clientAborted.IsCancellationRequested;
    }

    /// <summary>Gives the request its client's token back, so that the answer to work the server cancelled
    /// (<see cref="IsRequested"/>) can be written: a write on the cancelled token would fail.</summary>
    public static void RestoreClientToken(HttpContext http) => http.RequestAborted = ClientAborted(http);

    private sealed class Unlink(HttpContext http, CancellationToken clientAborted, CancellationTokenSource linked) : IDisposable
    {
        public void Dispose()
        {
            http.RequestAborted = clientAborted;
            linked.Dispose();
        }
    }
}
