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
/// total timeout → retry (exponential back-off with jitter, transient failures only) → circuit breaker → attempt timeout.
/// Every wait is asynchronous and cancellable: a slow server costs timers, not threads.
/// </summary>
internal sealed class FhirResiliencePipelines(FhirFetchOptions options, TimeProvider time, ILogger logger)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline<HttpResponseMessage>> _pipelines = new(StringComparer.OrdinalIgnoreCase);

    public ResiliencePipeline<HttpResponseMessage> For(Uri server) =>
        _pipelines.GetOrAdd(server.GetLeftPart(UriPartial.Authority), Build);

    /// <summary>5xx, 408 and 429 are worth another try; other statuses are answers.</summary>
    internal static bool IsTransient(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    private ResiliencePipeline<HttpResponseMessage> Build(string authority)
    {
        var transient = new PredicateBuilder<HttpResponseMessage>()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(response => IsTransient(response.StatusCode));
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddTimeout(options.TotalTimeout);
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = transient,
                OnRetry = args =>
                {
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }
        return builder
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = options.FailureRatio,
                MinimumThroughput = options.MinimumThroughput,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
                ShouldHandle = transient,
                OnOpened = args =>
                {
                    CdsHooksLog.CircuitOpened(logger, authority, args.BreakDuration.TotalSeconds);
                    return default;
                },
                OnClosed = _ =>
                {
                    CdsHooksLog.CircuitClosed(logger, authority);
                    return default;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }
}
