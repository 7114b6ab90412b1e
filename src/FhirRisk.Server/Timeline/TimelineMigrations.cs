namespace FhirRisk.Server.Timeline;

/// <summary>
/// The store's schema as numbered migrations (docs/timeline-store.md). A migration, once released, never changes:
/// a schema change is a new one with the next number. Each dialect states the same steps in its own types.
/// </summary>
internal static class TimelineMigrations
{
    public const string Table = "timeline_schema_migrations";

    public static IReadOnlyList<TimelineMigration> For(SqlDialect dialect) =>
    [
        new(1, "timeline_resources", $"""
            CREATE TABLE timeline_resources (
                resource_type TEXT NOT NULL,
                resource_id TEXT NOT NULL,
                patient_id TEXT NULL,
                full_url TEXT NULL,
                content_hash TEXT NOT NULL,
                version {dialect.Int64} NOT NULL,
                json {dialect.Bytes} NOT NULL,
                updated_at {dialect.Int64} NOT NULL,
                PRIMARY KEY (resource_type, resource_id))
            """),
        new(2, "timeline_resources_by_patient",
            "CREATE INDEX ix_timeline_resources_patient ON timeline_resources (patient_id)"),
        // The sender's version of the stored resource (meta), so that a late, older delivery does not replace a newer one.
        new(3, "timeline_resources_meta_version_id",
            $"ALTER TABLE timeline_resources ADD COLUMN meta_version_id {dialect.Int64} NULL"),
        new(4, "timeline_resources_meta_last_updated",
            $"ALTER TABLE timeline_resources ADD COLUMN meta_last_updated {dialect.Int64} NULL"),
        // The jti of every CDS client token accepted while CdsHooks:Authentication:ReplayStore is timeline-store, until
        // the token expires, so that all replicas sharing the store refuse a replay (docs/cds-hooks.md "Replay protection").
        new(5, "cds_client_token_ids", $"""
            CREATE TABLE cds_client_token_ids (
                issuer TEXT NOT NULL,
                jti TEXT NOT NULL,
                expires_at {dialect.Int64} NOT NULL,
                PRIMARY KEY (issuer, jti))
            """),
        // The sweep deletes expired rows in batches: found by this index, not by a scan of the table.
        new(6, "cds_client_token_ids_by_expiry",
            "CREATE INDEX ix_cds_client_token_ids_expiry ON cds_client_token_ids (expires_at)"),
        // A Patient row's merge into another (link replaced-by), so that the surviving chart's prediction reads the
        // merged one's history (docs/timeline-store.md "Merged charts"). Filled for the Patients stored before it when
        // it is applied (SqlTimelineStore.FillReplacedByAsync).
        new(ReplacedByMigration, "timeline_resources_replaced_by", "ALTER TABLE timeline_resources ADD COLUMN replaced_by TEXT NULL"),
        // Partial: nearly every row's replaced_by is NULL, and only the merged charts need finding.
        new(8, "timeline_resources_by_replaced_by",
            "CREATE INDEX ix_timeline_resources_replaced_by ON timeline_resources (replaced_by) WHERE replaced_by IS NOT NULL"),
        // replaced_by read again by the rule of 2026-12-07: only a chart of the linking Patient's own server counts
        // (FhirReferences.SameServerPatient). Cleared, then filled as migration 7 fills it: an absolute link to another
        // server's chart had joined our Patient of the same id, another person (review s24-store H1).
        new(OwnServerMergesMigration, "timeline_resources_replaced_by_own_server",
            "UPDATE timeline_resources SET replaced_by = NULL WHERE replaced_by IS NOT NULL"),
        // Rows found by their fullUrl: a push's urn:uuid: reference to a Patient pushed earlier (SqlTimelineStore's
        // PatientNamedBy), and the shared resources a prediction reads by the fullUrls its resources reference, which
        // scanned every row of the type. Partial: NDJSON imports carry no fullUrl.
        new(10, "timeline_resources_by_full_url",
            "CREATE INDEX ix_timeline_resources_full_url ON timeline_resources (resource_type, full_url) WHERE full_url IS NOT NULL"),
        // The urn:uuid: reference a row's patient_id was read from when no entry of its push resolved it: only such rows
        // move to a Patient pushed later under that fullUrl (SqlTimelineStore.MoveUrnRowsAsync), never a chart stored
        // from a plain Patient/<u> reference (review s25 M3).
        new(11, "timeline_resources_patient_urn", "ALTER TABLE timeline_resources ADD COLUMN patient_urn TEXT NULL"),
        // Rows stored before 2026-12-07 under the uuid of an urn:uuid: reference no entry of their push resolved get the
        // reference they were read from, as a push now records it: those whose uuid is a UUID no Patient has as its id and
        // whose JSON holds "urn:uuid:<uuid>" (a chart stored from Patient/<u> does not). One scan of the table.
        new(12, "timeline_resources_patient_urn_filled", $"""
            UPDATE timeline_resources SET patient_urn = 'urn:uuid:' || patient_id
            WHERE patient_urn IS NULL AND patient_id LIKE '________-____-____-____-____________' AND resource_type <> 'Patient'
              AND NOT EXISTS (SELECT 1 FROM timeline_resources own WHERE own.resource_type = 'Patient' AND own.resource_id = timeline_resources.patient_id)
              AND {dialect.BytesContain("json", "'\"urn:uuid:' || patient_id || '\"'")}
            """),
        // Those of them whose Patient is stored under that fullUrl with another id move to it, as a push now stores them
        // (review s24-store #9: its predictions and its erasure missed them); the others wait for their Patient's push.
        new(13, "timeline_resources_urn_patients", $"""
            UPDATE timeline_resources SET patient_id = ({UrnPatient("timeline_resources.patient_id")}), patient_urn = NULL
            WHERE patient_urn IS NOT NULL AND resource_type <> 'Patient'
              AND ({UrnPatient("timeline_resources.patient_id")}) IS NOT NULL
            """),
    ];

    /// <summary>The id of the Patient stored under the fullUrl <c>urn:uuid:</c> + <paramref name="uuid"/> (an SQL
    /// expression), the least when several are; the subquery is NULL when none is.</summary>
    public static string UrnPatient(string uuid) =>
        $"SELECT MIN(named.resource_id) FROM timeline_resources named WHERE named.resource_type = 'Patient' AND named.full_url = 'urn:uuid:' || {uuid}";

    /// <summary>The migration that adds <c>replaced_by</c>; the rows stored before it are filled when it is applied.</summary>
    public const int ReplacedByMigration = 7;

    /// <summary>The migration that reads <c>replaced_by</c> again by today's rule; filled again when it is applied.</summary>
    public const int OwnServerMergesMigration = 9;
}

/// <param name="Version">Applied in ascending order; recorded in <see cref="TimelineMigrations.Table"/>.</param>
/// <param name="Name">For people reading the migrations table.</param>
/// <param name="Sql">One statement.</param>
internal sealed record TimelineMigration(int Version, string Name, string Sql);

/// <summary>Where SQLite and PostgreSQL differ in the SQL we use.</summary>
/// <param name="Int64">The 64-bit integer type.</param>
/// <param name="Bytes">The binary type.</param>
/// <param name="MigrationLock">Run first in the migration transaction so that replicas migrate one at a time; null
/// when the transaction itself is exclusive (SQLite's BEGIN IMMEDIATE).</param>
internal sealed record SqlDialect(string Int64, string Bytes, string? MigrationLock)
{
    public static SqlDialect Sqlite { get; } = new("INTEGER", "BLOB", null);

    // An arbitrary constant: the key of the advisory lock every FhirRisk replica takes to migrate.
    public static SqlDialect Postgres { get; } = new("BIGINT", "BYTEA", "SELECT pg_advisory_xact_lock(731650001)");

    /// <summary>
    /// Takes a transaction-scoped lock on each patient id of the text array parameter <c>@patients</c> (keyed by the hash
    /// of the id, in key order), shared (writes) or exclusive (erasure, retention); null where the write transaction is
    /// exclusive already (SQLite's BEGIN IMMEDIATE). A write that read a patient's rows unchanged wrote nothing a removal
    /// could conflict with, so without it a sweep that chose the patient before such a write deleted rows the write had
    /// just answered "unchanged" (review s25 M2). Each lock takes a slot of the server's shared lock table
    /// (max_locks_per_transaction × max_connections, 6,400 by default): a write of more than
    /// <see cref="MaxPatientLocks"/> patients takes <see cref="LockAllPatients"/> instead, and a removal takes that one
    /// too, then at most a few hundred patients a transaction. The keys' first halves are arbitrary constants, as the
    /// migration lock's.
    /// </summary>
    public string? LockPatients(bool exclusive) => MigrationLock is null
        ? null
        : $"SELECT COUNT(pg_advisory_xact_lock{(exclusive ? "" : "_shared")}(731650002, k)) FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest(@patients) AS id ORDER BY 1) ordered";

    /// <summary>The lock a write of many patients holds shared, and every removal exclusive, before its patients' own;
    /// null as <see cref="LockPatients"/>.</summary>
    public string? LockAllPatients(bool exclusive) => MigrationLock is null
        ? null
        : $"SELECT pg_advisory_xact_lock{(exclusive ? "" : "_shared")}(731650003, 0)";

    /// <summary>The most patients a write locks one by one (the default max_locks_per_transaction); a write of more holds
    /// <see cref="LockAllPatients"/>: a transaction Bundle of thousands of patients would exhaust the lock table.</summary>
    public const int MaxPatientLocks = 64;

    /// <summary>An SQL condition: the binary <paramref name="bytes"/> holds the UTF-8 of the text <paramref name="text"/>.</summary>
    public string BytesContain(string bytes, string text) => MigrationLock is null
        ? $"instr({bytes}, CAST({text} AS BLOB)) > 0"
        : $"position(convert_to({text}, 'UTF8') in {bytes}) > 0";
}
