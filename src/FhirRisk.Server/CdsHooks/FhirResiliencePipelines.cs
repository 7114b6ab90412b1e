using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// One Polly pipeline per calling issuer and FHIR server (scheme, host, port), so one EHR's outage opens only its own
/// circuit, and one tenant's calls — failing on purpose, at a path that answers 5xx — cannot open another's:
/// retry (exponential back-off with jitter, transient failures only) → circuit breaker → attempt timeout. An attempt is
/// the request and the reading of its body (<see cref="FhirPage"/>), so a server that sends headers and then stalls is
/// timed out like one that never answers. The key's whole budget (<c>TotalTimeout</c>, every page and retry) is
/// <see cref="FhirServerClient"/>'s. Every wait is asynchronous and cancellable: a slow server costs timers, not threads.
/// At most <see cref="MaxCircuits"/> pipelines are kept, the least recently used dropped first: a circuit dropped while
/// open closes early, which costs its server a few more attempts, where an unbounded map grew with every authority a
/// client named (docs/cds-hooks.md "Resilience").
/// </summary>
internal sealed class FhirResiliencePipelines(FhirFetchOptions options, TimeProvider time, ILogger logger, int maxCircuits = FhirResiliencePipelines.MaxCircuits)
{
    /// <summary>The most (issuer, authority) circuits kept.</summary>
    public const int MaxCircuits = 1_000;

    private readonly LeastRecentlyUsedCache<CircuitKey, ResiliencePipeline<FhirPage>> _pipelines = new(maxCircuits);

    /// <param name="server">The FHIR server; its authority (scheme, host, port) picks the circuit.</param>
    /// <param name="issuer">The calling CDS client's issuer; "" for a call without one (LocalDemo).</param>
    public ResiliencePipeline<FhirPage> For(Uri server, string issuer)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(issuer);
        return _pipelines.GetOrAdd(new CircuitKey(issuer, FhirServerPolicy.AuthorityOf(server)), Build);
    }

    internal int Count => _pipelines.Count;

    internal bool Holds(Uri server, string issuer) =>
        _pipelines.ContainsKey(new CircuitKey(issuer, FhirServerPolicy.AuthorityOf(server)));

    /// <summary>Whether an attempt's exception is worth another try and counts against the circuit: a broken connection
    /// or body, an attempt timeout; not a connection the address check refused, which fails alike every time.</summary>
    internal static bool IsTransient(Exception e) =>
        (e is HttpRequestException or IOException or TimeoutRejectedException) && !FhirAddressNotAllowedException.IsCauseOf(e);

    /// <summary>5xx, 408 and 429 are worth another try; other statuses are answers, and so is 501: a server that does
    /// not implement a search (a resource type it does not offer) answers so every time, and counting it against the
    /// circuit would let the searches it does not offer pause those it does.</summary>
    internal static bool IsTransient(HttpStatusCode status) =>
        ((int)status >= 500 && status != HttpStatusCode.NotImplemented) || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    /// <summary>What counts against the circuit: a transient status but 429. A rate limit is a server at work asking
    /// callers to slow down, not one that is down: counting it opened the issuer's circuit after a few refused keys, and
    /// every call of that issuer then degraded for the break (review s24-cds L7).</summary>
    internal static bool IsFailure(HttpStatusCode status) => IsTransient(status) && status != HttpStatusCode.TooManyRequests;

    private ResiliencePipeline<FhirPage> Build(CircuitKey key)
    {
        var (issuer, authority) = (key.Issuer.Length == 0 ? "(none)" : LogText.Of(key.Issuer), LogText.Of(key.Authority));
        // A body cut off mid-way (HttpIOException) is as transient as a refused connection.
        var retried = new PredicateBuilder<FhirPage>()
            .Handle<Exception>(IsTransient)
            .HandleResult(page => IsTransient(page.Status) && !(page.RetryAfter > options.MaxRetryAfter));
        var failed = new PredicateBuilder<FhirPage>()
            .Handle<Exception>(IsTransient)
            .HandleResult(page => IsFailure(page.Status));
        var builder = new ResiliencePipelineBuilder<FhirPage> { TimeProvider = time };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<FhirPage>
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = retried,
                // The wait the server asked for, when it asked (at most MaxRetryAfter: a longer one is not retried above),
                // else the back-off; a retry 200 ms after a 429 only adds to the load the server refused (review s24-cds L7).
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.RetryAfter),
            });
        }
        return builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<FhirPage>
            {
                FailureRatio = options.FailureRatio,
                MinimumThroughput = options.MinimumThroughput,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
                ShouldHandle = failed,
                OnOpened = args =>
                {
                    CdsHooksLog.CircuitOpened(logger, authority, issuer, args.BreakDuration.TotalSeconds);
                    return default;
                },
                OnClosed = _ =>
                {
                    CdsHooksLog.CircuitClosed(logger, authority, issuer);
                    return default;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    /// <param name="Issuer">The calling issuer, compared exactly (as <c>iss</c> is).</param>
    /// <param name="Authority">Scheme, host and port (<see cref="FhirServerPolicy.AuthorityOf"/>).</param>
    private readonly record struct CircuitKey(string Issuer, string Authority);
}
