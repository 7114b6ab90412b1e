using FhirRisk.Server.CdsHooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Security;

/// <summary>
/// Runs before every CDS Hooks endpoint (discovery, services, feedback — the spec asks for a JWT on each): refuses
/// the call with a bare <c>401</c> (no detail, per the best practices) unless <see cref="CdsJwtValidator"/> accepts
/// the bearer token for the URL being invoked. In <see cref="CdsAuthenticationMode.LocalDemo"/> it lets every call through.
/// A service call or feedback (<see cref="CdsCallPlace.Metadata"/>) takes its place among <c>CdsHooks:MaxConcurrentCalls</c>
/// here, once its token is valid in every other respect and before its <c>jti</c> is recorded, and hands it to the
/// endpoint (<see cref="CdsCallPlace"/>): a burst of calls reaches the replay guard — with <c>ReplayStore</c>
/// <c>timeline-store</c>, a database insert each — only as fast as places free, and a call refused for want of one has
/// not spent its token.
/// </summary>
internal sealed class CdsClientAuthenticationFilter(CdsAuthenticationOptions options, CdsJwtValidator validator, CdsCallLimits limits,
    ILogger<CdsClientAuthenticationFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (options.Mode == CdsAuthenticationMode.LocalDemo)
            return await next(context);
        var http = context.HttpContext;
        var path = http.Request.Path.Value ?? "";
        var token = BearerToken(http.Request);
        // Owned here on every path: the endpoint takes the place (and gives it back when it ends); one it did not take — the
        // call was refused, it answered before it needed one (404, 415), or anything threw — is given back on leaving.
        using var place = new CdsCallPlace();
        Func<CancellationToken, ValueTask<bool>>? admit = CdsCallPlace.IsNeededBy(http)
            ? cancellationToken => place.TryEnterAsync(limits.Calls, cancellationToken)
            : null;
        CdsJwtResult result;
        try
        {
            result = token is null
                ? new CdsJwtResult(JwtRejection.Malformed)
                : await validator.ValidateAsync(token, Audiences(http.Request), http.RequestAborted, admit);
        }
        catch (OperationCanceledException) when (Http.ServerCancellation.IsRequested(http))
        {
            // The drain's timeout while the call waited for a place or the replay store: 503, as the endpoint answers.
            return await CdsHooksEndpoints.ServerCancelledAsync(http);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty; // the client went away
        }
        if (result.Rejection == JwtRejection.AtCapacity)
            return CdsHooksEndpoints.AtCapacity(http, limits.Calls.RetryAfterSeconds, limits.Calls.RefusalMessage);
        if (!result.IsValid)
        {
            // The path and the token's claims are the caller's text: escaped, so they cannot forge log lines.
            SecurityLog.TokenRejected(logger, LogText.Of(path), result.Rejection.ToString(), result.Issuer is null ? null : LogText.Of(result.Issuer));
            if (result.Rejection == JwtRejection.ReplayStoreUnavailable)
                return ReplayStoreUnavailable(http);
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }
        http.Features.Set(place);
        SecurityLog.TokenAccepted(logger, LogText.Of(result.Issuer), LogText.Of(result.Jti), result.Tenant is null ? null : LogText.Of(result.Tenant));
        http.Features.Set(new CdsClientIdentity(result.Issuer!, result.Tenant));
        return await next(context);
    }

    /// <summary>"aud … MUST be the URL of the CDS Service endpoint being invoked"; feedback also accepts the service's
    /// own URL, which is what clients that sign one token per service put there. The base is the configured
    /// <c>Audience</c> only, never the request's <c>Host</c> (the caller's text); without one (start-up validation
    /// requires it in Jwt mode) no audience is valid.</summary>
    internal IReadOnlyCollection<string> Audiences(HttpRequest request)
    {
        if (options.Audience.Length == 0)
            return [];
        var baseUrl = options.Audience.TrimEnd('/');
        var path = (request.Path.Value ?? "").TrimEnd('/');
        const string Feedback = "/feedback";
        return path.EndsWith(Feedback, StringComparison.Ordinal)
            ? [baseUrl + path, baseUrl + path[..^Feedback.Length]]
            : [baseUrl + path];
    }

    /// <summary>The shared replay store could not be asked (event 320 says why): the call is not served (fail closed),
    /// but answered as every other store outage of CDS Hooks is — 503, <c>Retry-After</c>, an OperationOutcome
    /// <c>transient</c> — not 401, which would tell a client whose token is good to fix its credentials. The client
    /// retries with a new token, as it signs one per call.</summary>
    private static IResult ReplayStoreUnavailable(HttpContext http)
    {
        http.Response.Headers.RetryAfter = Timeline.TimelineStoreUnavailableException.RetryAfterSeconds;
        return TypedResults.Json(CdsHooks.OperationOutcome.Error("transient",
                "The service cannot check client tokens for replay right now; retry with a new token after the Retry-After seconds."),
            CdsHooks.CdsHooksJsonContext.Default.OperationOutcome, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && header.Length > Scheme.Length
            ? header[Scheme.Length..].Trim()
            : null;
    }
}
