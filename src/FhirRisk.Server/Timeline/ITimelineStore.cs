namespace FhirRisk.Server.Timeline;

/// <summary>
/// The patient timeline store (DESIGN §7, docs/timeline-store.md): the FHIR resources accepted by push, kept raw and
/// keyed by (type, id) with a version and a content hash, so that pushing the same resource again changes nothing and
/// a changed one replaces the stored version. A patient's events are derived from its stored resources by the FHIR →
/// MEDS mapping when they are needed, never stored, so a better mapping applies to old data too. Implementations are
/// safe for concurrent writers (several requests, several replicas on PostgreSQL).
/// </summary>
public interface ITimelineStore
{
    /// <summary><c>sqlite</c> or <c>postgresql</c>, for logs and health.</summary>
    string Provider { get; }

    /// <summary>Applies the migrations the store lacks, in order, each in a transaction; concurrent callers (replicas
    /// starting together) wait for one another. Throws when the store is unreachable or its schema is newer than ours.</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>What went wrong, for the log: <see cref="TimelineStoreFailure.Describe"/>, and what the store can add
    /// (the SQLite file's state on disk). Holds no secret and no patient data.</summary>
    string DescribeFailure(Exception exception) => TimelineStoreFailure.Describe(exception);

    /// <summary>Throws when the store cannot answer a trivial query.</summary>
    Task PingAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes <paramref name="resources"/> in one transaction, all or nothing, in key order (type, id: so that
    /// concurrent transactions lock shared rows in one order; a later one with the same key still sees the earlier).
    /// One result per resource, in request order.</summary>
    Task<IReadOnlyList<TimelineWriteResult>> WriteAsync(IReadOnlyList<TimelineResource> resources, CancellationToken cancellationToken = default);

    /// <summary>Every stored resource of the patient (including the Patient itself) and of the charts merged with it
    /// (docs/timeline-store.md "Merged charts"), ordered by type then id.</summary>
    Task<IReadOnlyList<TimelineResource>> ReadPatientAsync(string patientId, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="ReadPatientAsync(string, CancellationToken)"/>, holding at most <paramref name="maxBytes"/> of
    /// resource JSON: the Patients, their Encounters, then the rows of the most recent writes, until the next would pass it
    /// (docs/timeline-store.md "Predictions"). <see cref="TimelinePatientRead.Cut"/> says whether rows were left; a kept row
    /// may name a cut one. A store that cannot bound its reads reads whole.
    /// </summary>
    async Task<TimelinePatientRead> ReadPatientWithinAsync(string patientId, long maxBytes, CancellationToken cancellationToken = default) =>
        new(await ReadPatientAsync(patientId, cancellationToken).ConfigureAwait(false), Cut: false);

    /// <summary>
    /// The stored resources of <paramref name="resourceType"/> whose id is one of <paramref name="ids"/> or whose fullUrl
    /// is one of <paramref name="fullUrls"/>, whatever their patient: the shared resources (Medication, Location) that a
    /// patient's resources reference and that are stored without a patient (docs/timeline-store.md "Shared resources").
    /// Ordered by id; the caller chooses what to ask for (no references are followed here).
    /// </summary>
    Task<IReadOnlyList<TimelineResource>> ReadReferencedAsync(string resourceType, IReadOnlyCollection<string> ids,
        IReadOnlyCollection<string> fullUrls, CancellationToken cancellationToken = default);

    /// <summary>One stored resource, or null.</summary>
    Task<TimelineResource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default);

    /// <summary>Removes, in one transaction, every resource of the patient's compartment (<c>patient_id</c>) and every
    /// resource stored without a patient whose references reach the patient or a removed resource
    /// (docs/timeline-store.md "Erasure"). Removing a patient that is not stored removes nothing.</summary>
    Task<TimelinePurgeResult> PurgePatientAsync(string patientId, CancellationToken cancellationToken = default);

    /// <summary>Retention: removes every patient none of whose resources changed at or after <paramref name="cutoff"/>
    /// (the whole compartment, so no timeline is cut in two), and every resource without a patient that has not changed
    /// since then. One transaction where writers run one at a time (SQLite); elsewhere (PostgreSQL) one per
    /// <see cref="SqlTimelineStore.SweepChunk"/> patients, then one for the rows without a patient.</summary>
    Task<TimelineRetentionResult> PurgeInactiveAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records that <paramref name="issuer"/> used the token id <paramref name="jti"/> in a token that expires (skew
    /// included) at <paramref name="expiresAt"/>: true when it is new, or its earlier row has expired; false when the
    /// issuer used it in a token that has not (a replay). One statement, whose row count decides, so concurrent
    /// callers on any replica sharing the store see exactly one true (docs/cds-hooks.md "Replay protection"). Holds no
    /// patient data; the caller bounds the length of <paramref name="jti"/>.
    /// </summary>
    Task<bool> RecordClientTokenAsync(string issuer, string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);

    /// <summary>Deletes at most <paramref name="maxRows"/> recorded token ids whose tokens have expired, and returns how
    /// many it deleted (a sweep calls it again while it deletes a full batch).</summary>
    Task<int> RemoveExpiredClientTokensAsync(int maxRows, CancellationToken cancellationToken = default);
}

/// <summary>What a per-patient purge removed: counts only (they are logged).</summary>
/// <param name="Linked">Resources of the patient's compartment (stored with its patient id, the Patient included).</param>
/// <param name="Unlinked">Resources stored without a patient that referenced the patient or a removed resource.</param>
public sealed record TimelinePurgeResult(int Linked, int Unlinked)
{
    public int Total => Linked + Unlinked;

    /// <summary>Charts that had been merged into the erased one (their Patient's <c>replaced-by</c> named it): kept, as
    /// the patients of their own ids, and no longer joined to the erased id's reads (docs/timeline-store.md "Merged
    /// charts"). Each is erased by its own id.</summary>
    public int MergedChartsKept { get; init; }
}

/// <summary>What a retention sweep removed: counts only.</summary>
/// <param name="Patients">Patients removed whole.</param>
/// <param name="Linked">Their resources.</param>
/// <param name="Unlinked">Resources without a patient, unchanged since the cutoff.</param>
public sealed record TimelineRetentionResult(int Patients, int Linked, int Unlinked);

/// <summary>A patient's bounded read: its resources, ordered by type then id, and whether older ones were left out.</summary>
public sealed record TimelinePatientRead(IReadOnlyList<TimelineResource> Resources, bool Cut);

/// <summary>One stored FHIR resource.</summary>
/// <param name="ResourceType">The FHIR type, e.g. <c>Observation</c>.</param>
/// <param name="Id">The logical id (the resource's own, else the uuid of a <c>urn:uuid:</c> fullUrl, else derived from
/// the content; docs/fhir-push.md).</param>
/// <param name="PatientId">The FHIR id of the Patient it belongs to; null when none could be found (Location, Medication…).</param>
/// <param name="FullUrl">The entry's fullUrl when it was pushed in a Bundle: <c>urn:uuid:</c> references resolve against it.</param>
/// <param name="ContentHash">SHA-256 (hex) of the resource's canonical JSON (<see cref="ResourceContentHash"/>).</param>
/// <param name="Json">The resource as accepted (UTF-8 JSON).</param>
/// <param name="Version">1 for the first stored version, +1 per change; 0 on resources not yet written.</param>
public sealed record TimelineResource(
    string ResourceType,
    string Id,
    string? PatientId,
    string? FullUrl,
    string ContentHash,
    ReadOnlyMemory<byte> Json,
    long Version = 0)
{
    /// <summary>The version its sender gave it (<c>meta</c>); null when it has none. A write keeps a stored version that
    /// this one says is newer (docs/timeline-store.md "Out-of-order deliveries").</summary>
    public TimelineSourceVersion? SourceVersion { get; init; }

    /// <summary>
    /// The <c>urn:uuid:</c> reference <see cref="PatientId"/> was read from (its uuid) when no entry of the push had that
    /// fullUrl; null otherwise. The store writes the resource to the Patient it holds under that fullUrl, when it holds
    /// one: a sender that split one Bundle into several pushes names the Patient of an earlier push so, and that Patient's
    /// id need not be the uuid (docs/fhir-push.md "Patient").
    /// </summary>
    public string? PatientUrn { get; init; }
}

/// <summary>
/// A resource's version as its sender stamped it: <c>meta.lastUpdated</c> (µs since 1970, UTC) and <c>meta.versionId</c>
/// when it is a whole number (as HAPI, Firely and most servers write it). Either may be null.
/// </summary>
public sealed record TimelineSourceVersion(long? VersionId, long? LastUpdatedMicros);

public enum TimelineWriteKind
{
    /// <summary>The key was new: version 1.</summary>
    Created,

    /// <summary>The content changed: the stored version was replaced and the version went up by one.</summary>
    Updated,

    /// <summary>Same content as stored (a re-push): nothing was written.</summary>
    Unchanged,

    /// <summary>Different content, but the stored version is newer by its sender's <c>meta</c> (a late or retried
    /// delivery of an older version): the stored one was kept and nothing was written.</summary>
    Outdated,
}

/// <summary>What a write did to one resource, and its version afterwards.</summary>
public sealed record TimelineWriteResult(string ResourceType, string Id, TimelineWriteKind Kind, long Version);

/// <summary>The store cannot be reached or has not been migrated yet (HTTP 503, gRPC UNAVAILABLE).</summary>
public sealed class TimelineStoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The Retry-After (seconds) of an HTTP 503 answered for it: FHIR push (PUSH010) and CDS Hooks calls alike.</summary>
    public const string RetryAfterSeconds = "5";
}
