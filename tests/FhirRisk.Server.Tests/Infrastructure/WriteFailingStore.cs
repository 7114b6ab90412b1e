using FhirRisk.Server.Timeline;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>A timeline store that migrates, answers pings and reads nothing, and fails every write with an unexpected
/// exception whose message quotes (pretend) patient data — for what the service logs, counts and answers then.</summary>
internal sealed class WriteFailingStore : ITimelineStore
{
    public const string Secret = "ZQX Quarvenholt MRN-ZQX-778899";

    public string Provider => "sqlite";

    public Task MigrateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task PingAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<IReadOnlyList<TimelineWriteResult>> WriteAsync(IReadOnlyList<TimelineResource> resources, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException($"cannot store '{Secret}'");

    public Task<IReadOnlyList<TimelineResource>> ReadPatientAsync(string patientId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<TimelineResource>>([]);

    public Task<IReadOnlyList<TimelineResource>> ReadReferencedAsync(string resourceType, IReadOnlyCollection<string> ids,
        IReadOnlyCollection<string> fullUrls, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<TimelineResource>>([]);

    public Task<TimelineResource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default) =>
        Task.FromResult<TimelineResource?>(null);

    public Task<TimelinePurgeResult> PurgePatientAsync(string patientId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public Task<TimelineRetentionResult> PurgeInactiveAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();
}
