using FhirRisk.Server.Timeline;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>A healthy timeline store that holds nothing: it migrates, answers pings, reads nothing and refuses erasure;
/// a test's store says only what its writes do.</summary>
internal abstract class EmptyTimelineStore : ITimelineStore
{
    public string Provider => "sqlite";

    public Task MigrateAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task PingAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public abstract Task<IReadOnlyList<TimelineWriteResult>> WriteAsync(IReadOnlyList<TimelineResource> resources, CancellationToken cancellationToken = default);

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

    public Task<bool> RecordClientTokenAsync(string issuer, string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public virtual Task<int> RemoveExpiredClientTokensAsync(int maxRows, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();
}
