namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// A service call's or feedback's place among <c>CdsHooks:MaxConcurrentCalls</c> (docs/cds-hooks.md "Limits"), taken by
/// the authentication filter once the client's token is valid in every respect but its <c>jti</c>, and before that is
/// recorded (<see cref="Security.CdsClientAuthenticationFilter"/>), then handed to the endpoint, which gives it back when
/// it ends. Without authentication (LocalDemo) the endpoint takes its place itself.
/// </summary>
internal sealed class CdsCallPlace : IDisposable
{
    private IDisposable? _lease;

    /// <summary>Endpoint metadata: this endpoint's calls hold a place while they run.</summary>
    public static object Metadata { get; } = new HoldsPlace();

    /// <summary>Whether the endpoint being invoked holds a place while it runs.</summary>
    public static bool IsNeededBy(HttpContext http) => http.GetEndpoint()?.Metadata.GetMetadata<HoldsPlace>() is not null;

    /// <summary>Takes a place among <paramref name="calls"/> (waiting up to its queue timeout); false when none freed.</summary>
    public async ValueTask<bool> TryEnterAsync(Http.WorkLimiter calls, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(calls);
        _lease = await calls.TryEnterAsync(cancellationToken).ConfigureAwait(false);
        return _lease is not null;
    }

    /// <summary>The place the filter took for this call, now the caller's to give back; null when it took none.</summary>
    public static IDisposable? Take(HttpContext http) =>
        http.Features.Get<CdsCallPlace>() is { } handed ? Interlocked.Exchange(ref handed._lease, null) : null;

    /// <summary>Gives the place back unless the endpoint took it (or none was taken).</summary>
    public void Dispose() => Interlocked.Exchange(ref _lease, null)?.Dispose();

    private sealed class HoldsPlace;
}
