using FhirRisk.Server.Patients;
using FhirRisk.Server.Shutdown;

namespace FhirRisk.Server.Metrics;

/// <summary>
/// The service's metrics (docs/operations.md "Metrics"): requests per surface, endpoint and status with their
/// latency, the drain, the model and the rollout scheduler's batch. Label values are route patterns, gRPC method
/// paths and status codes only, never anything from a request's content.
/// </summary>
internal sealed class ServiceMetrics
{
    /// <summary>Latency bucket bounds in seconds: health probes take milliseconds, rollouts seconds.</summary>
    public static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private static readonly string[] RequestLabels = ["surface", "endpoint", "status"];

    /// <param name="cds">The limits of CDS Hooks calls, when the host serves CDS Hooks.</param>
    /// <param name="pushes">The limit on pushes, when the host serves FHIR push.</param>
    public ServiceMetrics(MetricRegistry registry, RiskModel model, RolloutAdmission admission, RequestDrain drain,
        CdsHooks.CdsCallLimits? cds = null, FhirPush.IngestLimiter? pushes = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        Requests = registry.Add(new CounterFamily("fhirrisk_requests_total",
            "Requests answered, by surface (cds_hooks, fhir_push, grpc, health, metrics, other), endpoint (route pattern or gRPC method) and status (HTTP status or gRPC code).",
            RequestLabels));
        Durations = registry.Add(new HistogramFamily("fhirrisk_request_duration_seconds",
            "Time from the request reaching the server to its response (or gRPC status) being written, in seconds.", LatencyBuckets, RequestLabels));
        registry.Add(new ObservedFamily("fhirrisk_requests_in_flight", "Work requests (CDS Hooks, FHIR push, gRPC calls other than health) running now.",
            "gauge", () => drain.InFlight));
        registry.Add(new ObservedFamily("fhirrisk_draining", "1 while the server is shutting down and draining in-flight work, else 0.",
            "gauge", () => drain.IsDraining ? 1 : 0));
        registry.Add(new ObservedFamily("fhirrisk_model_loaded", "1 when the risk model is loaded, else 0.",
            "gauge", () => model.IsLoaded ? 1 : 0));
        registry.Add(new ObservedFamily("fhirrisk_rollouts_total", "Rollouts run to an outcome and counted by the rollout scheduler.",
            "counter", () => model.RolloutCounters?.RolloutsFinished ?? 0));
        registry.Add(new ObservedFamily("fhirrisk_rollout_decode_steps_total", "Batched decode steps run by the rollout scheduler.",
            "counter", () => model.RolloutCounters?.Steps ?? 0));
        registry.Add(new ObservedFamily("fhirrisk_rollout_batch_rows_total",
            "Rows (tokens: one per generating rollout, a whole window per rollout reading one) fed through the decode steps.",
            "counter", () => model.RolloutCounters?.RowsFed ?? 0));
        registry.Add(new ObservedFamily("fhirrisk_rollout_step_rows", "The most rows one decode step of the rollout scheduler can feed.",
            "gauge", () => model.RolloutRowsPerStep));
        registry.Add(new ObservedFamily("fhirrisk_rollout_batch_slots", "KV-cache slots of the rollout scheduler: the most rollouts one decode step can batch.",
            "gauge", () => model.RolloutSlots));
        registry.Add(new ObservedFamily("fhirrisk_rollout_batch_slots_in_use", "KV-cache slots held by decoding rollouts now.",
            "gauge", () => model.RolloutCounters?.SlotsInUse ?? 0));
        registry.Add(new ObservedFamily("fhirrisk_rollout_requests_capacity",
            "Rollout requests (predictions, explanations, Generate) admitted at once (Model:RolloutConcurrency).", "gauge", () => admission.Capacity));
        registry.Add(new ObservedFamily("fhirrisk_rollout_requests_in_flight", "Rollout requests admitted now.", "gauge", () => admission.InFlight));
        registry.Add(new ObservedFamily("fhirrisk_rollout_requests_admitted_total", "Rollout requests admitted.", "counter", () => admission.Admitted));
        registry.Add(new ObservedFamily("fhirrisk_rollout_requests_fell_back_total",
            "Rollout predictions shed at capacity and answered by the task heads (Model:RolloutOverload heads).", "counter", () => admission.FellBack));
        registry.Add(new ObservedFamily("fhirrisk_rollout_requests_rejected_total",
            "Rollout requests shed at capacity and rejected (CDS Hooks 503, gRPC RESOURCE_EXHAUSTED).", "counter", () => admission.Rejected));
        if (cds is not null)
        {
            AddLimiter(registry, "fhirrisk_cds_calls", "CDS Hooks service calls", cds.Calls);
            registry.Add(new ObservedFamily("fhirrisk_cds_bytes_in_flight",
                "Bytes of request bodies and fetched FHIR pages held by the CDS Hooks calls in flight.", "gauge", () => cds.Bytes.InUse));
            registry.Add(new ObservedFamily("fhirrisk_cds_bytes_capacity", "The bytes the CDS Hooks calls in flight may hold (CdsHooks:MaxBytesInFlight).",
                "gauge", () => cds.Bytes.Capacity));
            registry.Add(new ObservedFamily("fhirrisk_cds_bytes_rejected_total", "CDS Hooks calls refused (503) because the calls in flight held the byte budget.",
                "counter", () => cds.Bytes.Refused));
        }
        if (pushes is not null)
            AddLimiter(registry, "fhirrisk_pushes", "FHIR pushes, imports and gRPC Ingest calls", pushes.Pushes);
    }

    private static void AddLimiter(MetricRegistry registry, string prefix, string what, Http.WorkLimiter limiter)
    {
        registry.Add(new ObservedFamily(prefix + "_capacity", $"{what} run at once ({limiter.Setting}).", "gauge", () => limiter.Capacity));
        registry.Add(new ObservedFamily(prefix + "_in_flight", $"{what} running now.", "gauge", () => limiter.InFlight));
        registry.Add(new ObservedFamily(prefix + "_rejected_total", $"{what} refused at capacity (503 or RESOURCE_EXHAUSTED, with Retry-After).",
            "counter", () => limiter.Rejected));
    }

    public CounterFamily Requests { get; }

    public HistogramFamily Durations { get; }
}
