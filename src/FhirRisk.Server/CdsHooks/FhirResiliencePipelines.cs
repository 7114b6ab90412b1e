using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// One Polly pipeline per FHIR server (scheme, host, port), so one EHR's outage opens only its own circuit:
/// retry (exponential back-off with jitter, transient failures only) → circuit breaker → attempt timeout. An attempt is
/// the request and the reading of its body (<see cref="FhirPage"/>), so a server that sends headers and then stalls is
/// timed out like one that never answers. The key's whole budget (<c>TotalTimeout</c>, every page and retry) is
/// <see cref="FhirServerClient"/>'s. Every wait is asynchronous and cancellable: a slow server costs timers, not threads.
/// The circuit is shared by every call and tenant on that server (docs/cds-hooks.md "Resilience").
/// </summary>
internal sealed class FhirResiliencePipelines(FhirFetchOptions options, TimeProvider time, ILogger logger)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline<FhirPage>> _pipelines = new(StringComparer.OrdinalIgnoreCase);

    public ResiliencePipeline<FhirPage> For(Uri server) =>
        _pipelines.GetOrAdd(server.GetLeftPart(UriPartial.Authority), Build);

    /// <summary>5xx, 408 and 429 are worth another try; other statuses are answers.</summary>
    internal static bool IsTransient(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    private ResiliencePipeline<FhirPage> Build(string authority)
    {
        // A body cut off mid-way (HttpIOException) is as transient as a refused connection.
        var transient = new PredicateBuilder<FhirPage>()
            .Handle<HttpRequestException>()
            .Handle<IOException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(page => IsTransient(page.Status));
        var builder = new ResiliencePipelineBuilder<FhirPage> { TimeProvider = time };
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<FhirPage>
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = transient,
            });
        }
        return builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<FhirPage>
            {
                FailureRatio = options.FailureRatio,
                MinimumThroughput = options.MinimumThroughput,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
                ShouldHandle = transient,
                OnOpened = args =>
                {
                    CdsHooksLog.CircuitOpened(logger, LogText.Of(authority), args.BreakDuration.TotalSeconds);
                    return default;
                },
                OnClosed = _ =>
                {
                    CdsHooksLog.CircuitClosed(logger, LogText.Of(authority));
                    return default;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }
}
