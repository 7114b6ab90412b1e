using System.Data.Common;
using FhirRisk.Fhir;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// The store over ADO.NET, one SQL text for both databases (SQLite ≥ 3.35 and PostgreSQL share <c>ON CONFLICT</c> and
/// <c>RETURNING</c>). A write of one resource is three statements inside the caller's transaction: insert if the key is
/// new; otherwise update if the content hash differs; otherwise read the version (unchanged). Under concurrent writers
/// of one key, PostgreSQL's insert waits for the other transaction and then does nothing, and SQLite runs writers one at
/// a time (BEGIN IMMEDIATE), so every outcome is one a serial order would give.
/// </summary>
internal abstract partial class SqlTimelineStore(SqlDialect dialect, TimeProvider time) : ITimelineStore
{
    private const string Columns = "resource_type, resource_id, patient_id, full_url, content_hash, version, json";

    /// <summary>What a read returns: <see cref="Columns"/> and the sender's version (<see cref="TimelineResource.SourceVersion"/>).</summary>
    private const string ReadColumns = Columns + ", meta_version_id, meta_last_updated";
    private const int ReferencedChunk = 500;

    /// <summary>
    /// The stored row is a newer version than the one being written, by its sender's <c>meta</c>: a later
    /// <c>lastUpdated</c> when both have one and they differ, else a greater whole-number <c>versionId</c> when both have
    /// one. Anything else (no meta on either side, a versionId that is not a number) is not ordered: the write wins.
    /// </summary>
    private const string StoredIsNewer = """
        CASE WHEN @metaUpdated IS NOT NULL AND meta_last_updated IS NOT NULL AND @metaUpdated <> meta_last_updated
             THEN meta_last_updated > @metaUpdated
             ELSE @metaVersion IS NOT NULL AND meta_version_id IS NOT NULL AND meta_version_id > @metaVersion END
        """;

    public abstract string Provider { get; }

    public virtual string DescribeFailure(Exception exception) => TimelineStoreFailure.Describe(exception);

    /// <summary>An open connection.</summary>
    protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>A write transaction: exclusive for SQLite, read committed for PostgreSQL.</summary>
    protected abstract ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Called before the first migration (e.g. to create the SQLite file's folder and enable WAL).</summary>
    protected virtual Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenGuardedAsync(cancellationToken).ConfigureAwait(false);
        await PrepareAsync(connection, cancellationToken).ConfigureAwait(false);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
        if (dialect.MigrationLock is { } lockSql)
            await ExecuteAsync(connection, transaction, lockSql, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"""
            CREATE TABLE IF NOT EXISTS {TimelineMigrations.Table} (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {dialect.Int64} NOT NULL)
            """, cancellationToken).ConfigureAwait(false);
        var applied = new HashSet<int>();
        await using (var command = Command(connection, transaction, $"SELECT version FROM {TimelineMigrations.Table}"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                applied.Add(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        }
        var migrations = TimelineMigrations.For(dialect);
        var newest = migrations[^1].Version;
        if (applied.Count > 0 && applied.Max() > newest)
            throw new InvalidOperationException(
                $"The timeline store's schema is at version {applied.Max()}, newer than this server's {newest}. Hint: upgrade the server, or point it at another store.");
        foreach (var migration in migrations.Where(m => !applied.Contains(m.Version)))
        {
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            if (migration.Version is TimelineMigrations.ReplacedByMigration or TimelineMigrations.OwnServerMergesMigration)
                await FillReplacedByAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await using var record = Command(connection, transaction,
                $"INSERT INTO {TimelineMigrations.Table} (version, name, applied_at) VALUES (@version, @name, @now)");
            Add(record, "version", migration.Version);
            Add(record, "name", migration.Name);
            Add(record, "now", NowMicros());
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The versions recorded in the migrations table, ascending (tests, diagnostics).</summary>
    public async Task<IReadOnlyList<int>> AppliedMigrationsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenGuardedAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT version FROM {TimelineMigrations.Table} ORDER BY version");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var versions = new List<int>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            versions.Add(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture));
        return versions;
    }

    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenGuardedAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT COUNT(*) FROM timeline_resources WHERE resource_type = ''");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<TimelineWriteResult>> WriteAsync(IReadOnlyList<TimelineResource> resources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resources);
        if (resources.Count == 0)
            return [];
        var order = WriteOrder(resources);
        await using var connection = await OpenGuardedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await InWriteTransactionAsync<IReadOnlyList<TimelineWriteResult>>(connection, async (transaction, token) =>
            {
                var results = new TimelineWriteResult[resources.Count];
                var written = await LockAndNameAsync(connection, transaction, resources, token).ConfigureAwait(false);
                // One instant for the whole transaction, once the locks are held: its rows are kept or cut together by a
                // bounded read, which orders by it (ReadPatientWithinAsync); stamped one by one in (type, id) order, an
                // Encounter was cut before the Observations of its own push (review s25 M1).
                var now = NowMicros();
                foreach (var i in order)
                {
                    results[i] = await WriteOneAsync(connection, transaction, written[i], now, token).ConfigureAwait(false);
                    if (UrnOfOtherId(written[i]) is { } uuid)
                        await MoveUrnRowsAsync(connection, transaction, written[i].Id, uuid, token).ConfigureAwait(false);
                }
                return results;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            // A database that stays busy or locked past its timeout (SQLite's BusyTimeoutSeconds), or one that fails
            // mid-write: nothing of the batch was committed, and the caller answers "unavailable, retry" (PUSH010).
            throw new TimelineStoreUnavailableException($"The {Provider} timeline store could not complete the write ({TimelineStoreFailure.Describe(e)}); nothing was stored.", e);
        }
    }

    /// <summary>
    /// The order a transaction writes its resources in: by type, then id (ordinal), the same for every transaction, so
    /// two that touch the same rows lock them in the same order and cannot deadlock (ops review s11 #2: eight
    /// transactions of one patient's resources in different orders, five deadlock victims on PostgreSQL). Stable, so
    /// a later resource with the same key is still written after the earlier one. Results stay in request order.
    /// </summary>
    internal static int[] WriteOrder(IReadOnlyList<TimelineResource> resources) =>
        [.. Enumerable.Range(0, resources.Count)
            .OrderBy(i => resources[i].ResourceType, StringComparer.Ordinal)
            .ThenBy(i => resources[i].Id, StringComparer.Ordinal)];

    /// <summary>
    /// Locks (shared) the patients <paramref name="resources"/> touch, then gives each resource whose patient is an
    /// unresolved <c>urn:uuid:</c> the Patient stored under it, locking those too and reading the names again once locked:
    /// an erasure of the named patient between the read and the lock left a row of a patient just erased (review
    /// s25-fixes M2). The resources as they are written, in request order.
    /// </summary>
    private async Task<TimelineResource[]> LockAndNameAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<TimelineResource> resources,
        CancellationToken cancellationToken)
    {
        var locked = resources.SelectMany(r => new[] { r.PatientId, UrnOfOtherId(r) }).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var all = await LockPatientsAsync(connection, transaction, locked, exclusive: false, all: false, cancellationToken).ConfigureAwait(false);
        var urns = resources.Select(r => r.PatientUrn).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var named = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var pass = 0; pass < 3; pass++)
        {
            foreach (var urn in urns)
                named[urn] = await PatientNamedByAsync(connection, transaction, urn, cancellationToken).ConfigureAwait(false);
            var more = named.Values.OfType<string>().Where(p => !locked.Contains(p)).ToHashSet(StringComparer.Ordinal);
            if (more.Count == 0 || all)
                break;
            locked.UnionWith(more);
            all = await LockPatientsAsync(connection, transaction, more, exclusive: false, all: locked.Count > SqlDialect.MaxPatientLocks, cancellationToken)
                .ConfigureAwait(false);
        }
        return [.. resources.Select(r => r.PatientUrn is { } urn && named[urn] is { } patient ? r with { PatientId = patient, PatientUrn = null } : r)];
    }

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it, from the start again when the
    /// database aborted it for a conflict with another (<see cref="TransientConflict"/>).</summary>
    private Task<T> InWriteTransactionAsync<T>(DbConnection connection, Func<DbTransaction, CancellationToken, Task<T>> work,
        CancellationToken cancellationToken) =>
        TransientConflict.RunAsync(async token =>
        {
            await using var transaction = await BeginWriteAsync(connection, token).ConfigureAwait(false);
            var result = await work(transaction, token).ConfigureAwait(false);
            await transaction.CommitAsync(token).ConfigureAwait(false);
            return result;
        }, cancellationToken);

    public async Task<IReadOnlyList<TimelineResource>> ReadPatientAsync(string patientId, CancellationToken cancellationToken = default) =>
        (await ReadPatientWithinAsync(patientId, long.MaxValue, cancellationToken).ConfigureAwait(false)).Resources;

    /// <summary>
    /// The patient's rows, streamed, kept until the next row's JSON would take the read past <paramref name="maxBytes"/>:
    /// a chart of hundreds of thousands of charted values was read and parsed whole by every prediction, with nothing
    /// bounding it (review s24-store #5). In this order: the Patients, then the Encounters (few and small, and what every
    /// event of a stay is placed by: cut, the labs kept lost their stay, review s25 M1), then the other rows newest first
    /// by the write that stored them, within one write the charted values (Observation, MedicationAdministration) last.
    /// The model reads the end of a record, and a feed stores a record's newest events last; a bulk import stores a record
    /// in no such order. Either way the prediction says its history was cut (PUSH104), and a kept row may still name a
    /// cut one (a Condition's Procedure, a MedicationRequest's Medication is read as shared).
    /// </summary>
    public async Task<TimelinePatientRead> ReadPatientWithinAsync(string patientId, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patientId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        await using var connection = await OpenGuardedAsync(cancellationToken).ConfigureAwait(false);
        var charts = await MergedChartsAsync(connection, patientId, cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"""
            SELECT {ReadColumns} FROM timeline_resources WHERE patient_id IN ({string.Join(", ", charts.Select((_, i) => "@p" + i))})
            ORDER BY CASE resource_type WHEN 'Patient' THEN 0 WHEN 'Encounter' THEN 1 ELSE 2 END, updated_at DESC,
                CASE WHEN resource_type IN ('Observation', 'MedicationAdministration') THEN 1 ELSE 0 END, resource_type, resource_id
            """);
        for (var i = 0; i < charts.Count; i++)
            Add(command, "p" + i, charts[i]);
        var (resources, cut) = await ReadAllAsync(command, maxBytes, cancellationToken).ConfigureAwait(false);
        return new TimelinePatientRead(
            [.. resources.OrderBy(r => r.ResourceType, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal)], cut);
    }

    /// <summary>Most charts of one person read together (merges followed both ways), so a cycle or a runaway chain of
    /// links cannot make a read unbounded.</summary>
    internal const int MaxMergedCharts = 32;

    /// <summary>
    /// <paramref name="patientId"/> and the charts merged with it, as the merged charts' own Patients say (their link
    /// <c>replaced-by</c>, kept in <c>replaced_by</c>; docs/timeline-store.md "Merged charts"): the chart each was merged
    /// into, and the charts merged into each, followed until nothing new comes or <see cref="MaxMergedCharts"/>. A
    /// survivor's <c>replaces</c> link alone joins nothing here: the retired chart must say it was merged.
    /// </summary>
    private async Task<IReadOnlyList<string>> MergedChartsAsync(DbConnection connection, string patientId, CancellationToken cancellationToken)
    {
        var charts = new List<string> { patientId };
        for (var next = 0; next < charts.Count && charts.Count < MaxMergedCharts; next++)
        {
            var linked = new List<string>();
            await using (var command = Command(connection, null, """
                SELECT replaced_by FROM timeline_resources WHERE resource_type = 'Patient' AND resource_id = @id AND replaced_by IS NOT NULL
                UNION SELECT resource_id FROM timeline_resources WHERE resource_type = 'Patient' AND replaced_by = @id
                """))
            {
                Add(command, "id", charts[next]);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    linked.Add(reader.GetString(0));
            }
            foreach (var chart in linked.Order(StringComparer.Ordinal))
            {
                if (!charts.Contains(chart) && charts.Count < MaxMergedCharts)
                    charts.Add(chart);
            }
        }
        return charts;
    }

    /// <summary>Fills <c>replaced_by</c> of the Patients stored before the column existed, in the migration's
    /// transaction (one pass over the Patient rows, once).</summary>
    private async Task FillReplacedByAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var links = new List<(string Id, string Survivor)>();
        await using (var select = Command(connection, transaction, "SELECT resource_id, json, full_url FROM timeline_resources WHERE resource_type = 'Patient'"))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (PatientMergeLinks.ReplacedBy((byte[])reader.GetValue(1), reader.IsDBNull(2) ? null : reader.GetString(2)) is { } survivor)
                    links.Add((reader.GetString(0), survivor));
            }
        }
        foreach (var (id, survivor) in links)
        {
            await using var update = Command(connection, transaction,
                "UPDATE timeline_resources SET replaced_by = @survivor WHERE resource_type = 'Patient' AND resource_id = @id");
            Add(update, "survivor", survivor);
            Add(update, "id", id);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<TimelineResource>> ReadReferencedAsync(string resourceType, IReadOnlyCollection<string> ids,
        IReadOnlyCollection<string> fullUrls, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resourceType);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(fullUrls);
        var found = new Dictionary<string, TimelineResource>(StringComparer.Ordinal);
        if (ids.Count == 0 && fullUrls.Count == 0)
            return [];
        await using var connection = await OpenGuardedAsync(cancellationToken).ConfigureAwait(false);
        // In chunks: one statement's parameters are bounded (SQLite 32 766, PostgreSQL 65 535), and a MIMIC patient's
        // orders name hundreds of Medications.
        foreach (var (column, values) in new[] { ("resource_id", ids), ("full_url", fullUrls) })
        {
            foreach (var chunk in values.Distinct(StringComparer.Ordinal).Chunk(ReferencedChunk))
            {
                await using var command = Command(connection, null,
                    $"SELECT {ReadColumns} FROM timeline_resources WHERE resource_type = @type AND {column} IN ({string.Join(", ", chunk.Select((_, i) => "@v" + i))})");
                Add(command, "type", resourceType);
                for (var i = 0; i < chunk.Length; i++)
                    Add(command, "v" + i, chunk[i]);
                foreach (var resource in await ReadAllAsync(command, cancellationToken).ConfigureAwait(false))
                    found.TryAdd(resource.Id, resource);
            }
        }
        return [.. found.Values.OrderBy(r => r.Id, StringComparer.Ordinal)];
    }

    public async Task<TimelineResource?> ReadAsync(string resourceType, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenGuardedAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null,
            $"SELECT {ReadColumns} FROM timeline_resources WHERE resource_type = @type AND resource_id = @id");
        Add(command, "type", resourceType);
        Add(command, "id", id);
        return (await ReadAllAsync(command, cancellationToken).ConfigureAwait(false)).SingleOrDefault();
    }

    /// <summary>How often one resource's write starts again because its row was deleted between the statements.</summary>
    internal const int MaxVanishedRetries = 3;

    /// <summary>Called, in tests, after the insert of a resource found its row already stored, before the update: where a
    /// concurrent erasure or retention sweep can remove that row (PostgreSQL, read committed).</summary>
    internal Func<CancellationToken, Task>? AfterInsertFoundRow { get; set; }

    private async Task<TimelineWriteResult> WriteOneAsync(DbConnection connection, DbTransaction transaction, TimelineResource resource,
        long now, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await TryWriteOneAsync(connection, transaction, resource, now, cancellationToken).ConfigureAwait(false) is { } result)
                return result;
            // The row was there for the insert and gone for the update: an erasure or retention sweep on PostgreSQL deleted
            // it in between (the insert's ON CONFLICT DO NOTHING locks nothing). The serial outcome is "removed, then
            // pushed": insert it again (review s24-store #7, which answered 500 here). SQLite writes one transaction at a
            // time, so it never comes here.
            if (attempt == MaxVanishedRetries)
                throw new TimelineStoreUnavailableException(
                    $"The {Provider} timeline store's {resource.ResourceType} row was removed each time this write stored it (an erasure or retention sweep ran beside the push); nothing was stored. Retry the push.");
        }
    }

    /// <summary>One resource's write: created, updated, unchanged or outdated; null when its row vanished between the
    /// statements.</summary>
    private async Task<TimelineWriteResult?> TryWriteOneAsync(DbConnection connection, DbTransaction transaction, TimelineResource resource,
        long now, CancellationToken cancellationToken)
    {
        await using (var insert = Command(connection, transaction, $"""
            INSERT INTO timeline_resources ({Columns}, updated_at, meta_version_id, meta_last_updated, replaced_by, patient_urn)
            VALUES (@type, @id, @patient, @fullUrl, @hash, 1, @json, @now, @metaVersion, @metaUpdated, @replacedBy, @patientUrn)
            ON CONFLICT (resource_type, resource_id) DO NOTHING
            RETURNING version
            """))
        {
            AddResource(insert, resource, now);
            if (await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is { } created and not DBNull)
                return Result(resource, TimelineWriteKind.Created, created);
        }
        if (AfterInsertFoundRow is { } hook)
            await hook(cancellationToken).ConfigureAwait(false);
        // The condition is the update's own, so PostgreSQL re-checks it on the newest row after waiting for a
        // concurrent writer: a newer version committed meanwhile is never overwritten by an older one.
        await using (var update = Command(connection, transaction, $"""
            UPDATE timeline_resources
            SET json = @json, content_hash = @hash, version = version + 1, updated_at = @now,
                patient_urn = CASE WHEN @patient IS NULL THEN patient_urn ELSE @patientUrn END,
                patient_id = COALESCE(@patient, patient_id), full_url = COALESCE(@fullUrl, full_url),
                meta_version_id = @metaVersion, meta_last_updated = @metaUpdated, replaced_by = @replacedBy
            WHERE resource_type = @type AND resource_id = @id AND content_hash <> @hash AND NOT ({StoredIsNewer})
            RETURNING version
            """))
        {
            AddResource(update, resource, now);
            if (await update.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is { } updated and not DBNull)
                return Result(resource, TimelineWriteKind.Updated, updated);
        }
        long version;
        bool unchanged, lacksLink;
        await using (var select = Command(connection, transaction,
            "SELECT version, content_hash, patient_id IS NULL, full_url IS NULL FROM timeline_resources WHERE resource_type = @type AND resource_id = @id"))
        {
            Add(select, "type", resource.ResourceType);
            Add(select, "id", resource.Id);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            version = Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture);
            unchanged = reader.GetString(1) == resource.ContentHash;
            lacksLink = (resource.PatientId is not null && Convert.ToBoolean(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture))
                || (resource.FullUrl is not null && Convert.ToBoolean(reader.GetValue(3), System.Globalization.CultureInfo.InvariantCulture));
        }
        // The same content again, from a push that can say more of it: a patient link or fullUrl the stored row lacks is
        // filled in (not a new version: the resource did not change). A sender that fixed its bundle's fullUrls, or a
        // Medication imported as NDJSON and pushed again in a Bundle, got "unchanged" and a row no prediction could
        // reach (review s24-store #8). Written only then: a plain re-push stays a read.
        if (unchanged && lacksLink)
        {
            await using var repair = Command(connection, transaction, """
                UPDATE timeline_resources SET patient_urn = CASE WHEN patient_id IS NULL THEN @patientUrn ELSE patient_urn END,
                    patient_id = COALESCE(patient_id, @patient), full_url = COALESCE(full_url, @fullUrl)
                WHERE resource_type = @type AND resource_id = @id AND content_hash = @hash
                """);
            Add(repair, "type", resource.ResourceType);
            Add(repair, "id", resource.Id);
            Add(repair, "hash", resource.ContentHash);
            Add(repair, "patient", resource.PatientId);
            Add(repair, "fullUrl", resource.FullUrl);
            Add(repair, "patientUrn", resource.PatientUrn);
            await repair.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return Result(resource, unchanged ? TimelineWriteKind.Unchanged : TimelineWriteKind.Outdated, version);
    }

    /// <summary>
    /// Locks the <paramref name="patients"/> for this transaction (<see cref="SqlDialect.LockPatients"/>); nothing where
    /// the transaction is exclusive already. A removal (<paramref name="exclusive"/>) takes the lock of all patients first,
    /// then each of its own; a write takes the lock of all patients, shared, instead of its own when they are more than
    /// <see cref="SqlDialect.MaxPatientLocks"/> (or <paramref name="all"/>). Returns whether the lock of all was taken.
    /// </summary>
    private async Task<bool> LockPatientsAsync(DbConnection connection, DbTransaction transaction, IReadOnlyCollection<string> patients, bool exclusive,
        bool all, CancellationToken cancellationToken)
    {
        if (patients.Count == 0 || dialect.LockPatients(exclusive) is not { } sql)
            return false;
        all = exclusive || all || patients.Count > SqlDialect.MaxPatientLocks;
        if (all)
        {
            await using var whole = Command(connection, transaction, dialect.LockAllPatients(exclusive)!);
            await whole.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (!exclusive)
                return true;
        }
        await using var command = Command(connection, transaction, sql);
        Add(command, "patients", patients.ToArray());
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return all;
    }

    /// <summary>The id of the Patient stored under the fullUrl <paramref name="urn"/>, or null.</summary>
    private static async Task<string?> PatientNamedByAsync(DbConnection connection, DbTransaction transaction, string urn, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            "SELECT MIN(resource_id) FROM timeline_resources WHERE resource_type = 'Patient' AND full_url = @urn");
        Add(command, "urn", urn);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <summary>The uuid of a Patient's <c>urn:uuid:</c> fullUrl when it is a UUID (RFC 4122) and not the Patient's id
    /// (Synthea's convention makes them equal), else null.</summary>
    internal static string? UrnOfOtherId(TimelineResource resource) =>
        resource.ResourceType == "Patient" && FhirReferences.UuidOfUrn(resource.FullUrl) is { } uuid && uuid != resource.Id ? uuid : null;

    /// <summary>
    /// The rows an earlier push stored under <paramref name="uuid"/> because it read their patient from the reference
    /// <c>urn:uuid:</c><paramref name="uuid"/>, which no entry of that push resolved (<c>patient_urn</c>), move to the
    /// Patient now stored under that fullUrl (<paramref name="patientId"/>): its resources pushed before it (review
    /// s24-store #9, where they stayed with a patient that does not exist, out of its predictions and its erasure). A row
    /// stored from a plain <c>Patient/&lt;uuid&gt;</c> is not moved, nor any when a Patient has the uuid as its id (review
    /// s25 M3: a Patient pushed under the fullUrl <c>urn:uuid:&lt;another chart's id&gt;</c> took that chart). Runs at
    /// each write of such a Patient; an index probe when there is nothing to move.
    /// </summary>
    private static async Task MoveUrnRowsAsync(DbConnection connection, DbTransaction transaction, string patientId, string uuid,
        CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, """
            UPDATE timeline_resources SET patient_id = @patient, patient_urn = NULL
            WHERE patient_id = @uuid AND patient_urn = @urn AND resource_type <> 'Patient'
              AND NOT EXISTS (SELECT 1 FROM timeline_resources own WHERE own.resource_type = 'Patient' AND own.resource_id = @uuid)
            """);
        Add(command, "patient", patientId);
        Add(command, "uuid", uuid);
        Add(command, "urn", "urn:uuid:" + uuid);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static TimelineWriteResult Result(TimelineResource resource, TimelineWriteKind kind, object version) =>
        new(resource.ResourceType, resource.Id, kind, Convert.ToInt64(version, System.Globalization.CultureInfo.InvariantCulture));

    private static void AddResource(DbCommand command, TimelineResource resource, long now)
    {
        Add(command, "type", resource.ResourceType);
        Add(command, "id", resource.Id);
        Add(command, "patient", resource.PatientId);
        Add(command, "fullUrl", resource.FullUrl);
        Add(command, "hash", resource.ContentHash);
        Add(command, "json", resource.Json.ToArray());
        Add(command, "now", now);
        AddInt64(command, "metaVersion", resource.SourceVersion?.VersionId);
        AddInt64(command, "metaUpdated", resource.SourceVersion?.LastUpdatedMicros);
        Add(command, "replacedBy", resource.ResourceType == "Patient" ? PatientMergeLinks.ReplacedBy(resource.Json, resource.FullUrl) : null);
        Add(command, "patientUrn", resource.PatientUrn);
    }

    private static async Task<IReadOnlyList<TimelineResource>> ReadAllAsync(DbCommand command, CancellationToken cancellationToken) =>
        (await ReadAllAsync(command, long.MaxValue, cancellationToken).ConfigureAwait(false)).Resources;

    /// <summary>The rows in the command's order until the next non-Patient row's JSON would take their sum past
    /// <paramref name="maxBytes"/>; <c>Cut</c> when a row was left.</summary>
    private static async Task<(List<TimelineResource> Resources, bool Cut)> ReadAllAsync(DbCommand command, long maxBytes, CancellationToken cancellationToken)
    {
        var resources = new List<TimelineResource>();
        var bytes = 0L;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var length = reader.GetBytes(6, 0, null, 0, 0);
            if (bytes + length > maxBytes && reader.GetString(0) != "Patient")
                return (resources, true);
            bytes += length;
            resources.Add(new TimelineResource(
                reader.GetString(0),
                reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4),
                (byte[])reader.GetValue(6),
                reader.GetInt64(5))
            {
                SourceVersion = reader.IsDBNull(7) && reader.IsDBNull(8)
                    ? null
                    : new TimelineSourceVersion(reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.IsDBNull(8) ? null : reader.GetInt64(8)),
            });
        }
        return (resources, false);
    }

    /// <summary>Opens a connection; a failure to reach the database becomes <see cref="TimelineStoreUnavailableException"/>.</summary>
    private async Task<DbConnection> OpenGuardedAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException or IOException or UnauthorizedAccessException or TimeoutException)
        {
            throw new TimelineStoreUnavailableException($"The {Provider} timeline store cannot be reached ({TimelineStoreFailure.Describe(e)}).", e);
        }
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>A 64-bit integer parameter, typed even when null (PostgreSQL must know a null's type to compare it).</summary>
    private static void AddInt64(DbCommand command, string name, long? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.DbType = System.Data.DbType.Int64;
        parameter.Value = value is { } v ? v : DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private long NowMicros() => Micros(time.GetUtcNow());

    /// <summary>µs since 1970, UTC: how the store keeps instants.</summary>
    private static long Micros(DateTimeOffset instant) => (instant - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
}
