using System.Data.Common;
using System.Text.Json;
using FhirRisk.Fhir;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// Erasure and retention (docs/timeline-store.md "Erasure and retention"). A patient's compartment is found by its
/// <c>patient_id</c>; resources stored without one (types our reader does not parse: Claim, Provenance, Group…) are
/// found by reading their references, since no column links them.
/// </summary>
internal abstract partial class SqlTimelineStore
{
    // The subquery of the patients retention removes; one text for both databases. A patient with nothing changed at or
    // after the cutoff goes, unless a chart merged with it (a Patient's replaced_by, followed either way and as far as the
    // links go) did change: a read joins the charts of a merge into one record (ReadPatientAsync), so the family is kept
    // or swept as one, and a survivor still charted does not lose the history of the chart retired into it. The walk
    // starts at the linked charts with a recent row (found by patient_id, one index probe each) and follows each link
    // once (UNION), so a cycle of links ends.
    private static string InactivePatients(string among) => $"""
        SELECT patient_id FROM timeline_resources WHERE patient_id IS NOT NULL{among}
        GROUP BY patient_id HAVING MAX(updated_at) < @cutoff
        EXCEPT
        SELECT id FROM (
            WITH RECURSIVE links(a, b) AS (
                SELECT resource_id, replaced_by FROM timeline_resources WHERE resource_type = 'Patient' AND replaced_by IS NOT NULL
                UNION
                SELECT replaced_by, resource_id FROM timeline_resources WHERE resource_type = 'Patient' AND replaced_by IS NOT NULL),
            kept(id) AS (
                SELECT a FROM links
                WHERE EXISTS (SELECT 1 FROM timeline_resources recent WHERE recent.patient_id = links.a AND recent.updated_at >= @cutoff)
                UNION
                SELECT links.b FROM links JOIN kept ON links.a = kept.id)
            SELECT id FROM kept) family
        """;

    /// <summary>
    /// The shared types a prediction reads (SharedResourceReader): they describe no patient (R4: neither is in the Patient
    /// compartment), and patients' resources share them by reference — a drug catalogue, the hospital's units. Retention,
    /// which exists for patient data, does not age them out: a catalogue pushed once at go-live is never "changed" again
    /// (an unchanged re-push writes nothing), and sweeping it took every active patient's drugs and ICU units out of their
    /// predictions (review s24-store #3). Other unlinked types (Organization, Practitioner — staff data —, Claim …) age out
    /// as before: no prediction reads them.
    /// </summary>
    internal static readonly string[] SharedTypes = ["Medication", "Location"];

    private static readonly string SharedTypeList = string.Join(", ", SharedTypes.Select(t => $"'{t}'"));

    public async Task<TimelinePurgeResult> PurgePatientAsync(string patientId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(patientId);
        await using var connection = await OpenGuardedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await InWriteTransactionAsync(connection, async (transaction, token) =>
            {
                await LockPatientsAsync(connection, transaction, [patientId], exclusive: true, all: true, token).ConfigureAwait(false);
                var (keys, fullUrls) = await CompartmentAsync(connection, transaction, patientId, token).ConfigureAwait(false);
                var unlinked = await UnlinkedReachingAsync(connection, transaction, keys, fullUrls, token).ConfigureAwait(false);
                int linked;
                await using (var delete = Command(connection, transaction, "DELETE FROM timeline_resources WHERE patient_id = @patient"))
                {
                    Add(delete, "patient", patientId);
                    linked = await delete.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }
                foreach (var (type, id) in unlinked)
                {
                    await using var delete = Command(connection, transaction,
                        "DELETE FROM timeline_resources WHERE resource_type = @type AND resource_id = @id AND patient_id IS NULL");
                    Add(delete, "type", type);
                    Add(delete, "id", id);
                    await delete.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }
                // The charts merged into the erased one stay (a false merge must not take another person's chart along), but
                // no longer lead a read of the erased id to their data.
                int merged;
                await using (var unlink = Command(connection, transaction,
                    "UPDATE timeline_resources SET replaced_by = NULL WHERE resource_type = 'Patient' AND replaced_by = @patient"))
                {
                    Add(unlink, "patient", patientId);
                    merged = await unlink.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }
                return new TimelinePurgeResult(linked, unlinked.Count) { MergedChartsKept = merged };
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw new TimelineStoreUnavailableException($"The {Provider} timeline store could not complete the purge ({TimelineStoreFailure.Describe(e)}); nothing was removed.", e);
        }
    }

    /// <summary>Most patients one transaction of a PostgreSQL sweep locks and removes: each lock takes a slot of the
    /// server's shared lock table (max_locks_per_transaction × max_connections, 6,400 by default), so one transaction for
    /// every inactive patient failed with "out of shared memory" once they were thousands (review s25-fixes H1).</summary>
    internal const int SweepChunk = 256;

    public async Task<TimelineRetentionResult> PurgeInactiveAsync(DateTimeOffset cutoff, CancellationToken cancellationToken = default)
    {
        var micros = (cutoff - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        await using var connection = await OpenGuardedAsync(cancellationToken).ConfigureAwait(false);
        var removed = new TimelineRetentionResult(0, 0, 0);
        try
        {
            if (dialect.LockPatients(exclusive: true) is null)
            {
                // One writer at a time (SQLite): one transaction, nothing can come between the choice and the deletes.
                return await InWriteTransactionAsync(connection, async (transaction, token) =>
                {
                    var (patients, linked) = await SweepPatientsAsync(connection, transaction, micros, null, token).ConfigureAwait(false);
                    return new TimelineRetentionResult(patients, linked, await SweepUnlinkedAsync(connection, transaction, micros, token).ConfigureAwait(false));
                }, cancellationToken).ConfigureAwait(false);
            }
            // Where writes run side by side (PostgreSQL): the inactive patients are chosen once, by one scan that locks
            // nothing; then each transaction locks up to SweepChunk of them, so that the writes holding them finish first,
            // and chooses again among them on what those writes committed (by the patient index, not a scan of the
            // table), then deletes. A write that found a chosen patient's rows unchanged and added one keeps them all
            // (review s25 M2; at repeatable read, review s24-store #6's fix, such rows were deleted still).
            var candidates = new List<string>();
            await using (var select = Command(connection, null, $"SELECT patient_id FROM ({InactivePatients("")}) inactive ORDER BY patient_id"))
            {
                Add(select, "cutoff", micros);
                await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    candidates.Add(reader.GetString(0));
            }
            foreach (var chunk in candidates.Chunk(SweepChunk))
            {
                var (patients, linked) = await InWriteTransactionAsync(connection, async (transaction, token) =>
                {
                    await LockPatientsAsync(connection, transaction, chunk, exclusive: true, all: true, token).ConfigureAwait(false);
                    return await SweepPatientsAsync(connection, transaction, micros, chunk, token).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
                removed = removed with { Patients = removed.Patients + patients, Linked = removed.Linked + linked };
            }
            var unlinked = await InWriteTransactionAsync(connection, (transaction, token) => SweepUnlinkedAsync(connection, transaction, micros, token),
                cancellationToken).ConfigureAwait(false);
            return removed with { Unlinked = unlinked };
        }
        catch (DbException e)
        {
            throw new TimelineStoreUnavailableException(removed.Linked == 0
                ? $"The {Provider} timeline store could not complete the retention sweep ({TimelineStoreFailure.Describe(e)}); nothing was removed."
                : $"The {Provider} timeline store could not complete the retention sweep ({TimelineStoreFailure.Describe(e)}); {removed.Patients} inactive patients were removed before it stopped, the rest at the next sweep.", e);
        }
    }

    /// <summary>Removes the inactive patients (among <paramref name="chosen"/>, when given): how many, and their rows.</summary>
    private static async Task<(int Patients, int Linked)> SweepPatientsAsync(DbConnection connection, DbTransaction transaction, long cutoffMicros,
        string[]? chosen, CancellationToken cancellationToken)
    {
        var among = chosen is null ? "" : " AND patient_id = ANY(@patients)";
        await using var count = Command(connection, transaction, $"SELECT COUNT(*) FROM ({InactivePatients(among)}) inactive");
        await using var delete = Command(connection, transaction, $"DELETE FROM timeline_resources WHERE patient_id IN ({InactivePatients(among)}){among}");
        foreach (var command in new[] { count, delete })
        {
            Add(command, "cutoff", cutoffMicros);
            if (chosen is not null)
                Add(command, "patients", chosen);
        }
        var patients = Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        return (patients, await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Removes the rows stored without a patient and unchanged since the cutoff, but the shared types.</summary>
    private static async Task<int> SweepUnlinkedAsync(DbConnection connection, DbTransaction transaction, long cutoffMicros, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction,
            $"DELETE FROM timeline_resources WHERE patient_id IS NULL AND updated_at < @cutoff AND resource_type NOT IN ({SharedTypeList})");
        Add(command, "cutoff", cutoffMicros);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The <c>Type/id</c> keys and fullUrls of the compartment, plus the forms that name the patient even when
    /// its Patient resource was never pushed.</summary>
    private static async Task<(HashSet<string> Keys, HashSet<string> FullUrls)> CompartmentAsync(DbConnection connection, DbTransaction transaction,
        string patientId, CancellationToken cancellationToken)
    {
        HashSet<string> keys = new(StringComparer.Ordinal) { "Patient/" + patientId };
        // An unresolved urn:uuid reference names the patient whose id is the uuid (docs/fhir-push.md "Patient").
        HashSet<string> fullUrls = new(FullUrlComparer.Instance) { "urn:uuid:" + patientId };
        await using var command = Command(connection, transaction,
            "SELECT resource_type, resource_id, full_url FROM timeline_resources WHERE patient_id = @patient");
        Add(command, "patient", patientId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            keys.Add(reader.GetString(0) + "/" + reader.GetString(1));
            if (!reader.IsDBNull(2))
                fullUrls.Add(reader.GetString(2));
        }
        return (keys, fullUrls);
    }

    /// <summary>
    /// The resources stored without a patient whose references reach the patient: directly, through a compartment
    /// resource, or through another such resource that does (a Provenance of a Claim of the patient). The rows are read
    /// in passes, one row at a time, until a pass reaches nothing new (as many passes as the longest chain, plus one):
    /// holding them all — every Claim, EOB and DocumentReference of the store, most of a Synthea or Bulk Data one — took
    /// memory in proportion to the store inside the write transaction (review s24-store #2).
    /// </summary>
    private static async Task<List<(string Type, string Id)>> UnlinkedReachingAsync(DbConnection connection, DbTransaction transaction,
        HashSet<string> keys, HashSet<string> fullUrls, CancellationToken cancellationToken)
    {
        var reached = new List<(string Type, string Id)>();
        bool grew;
        do
        {
            grew = false;
            await using var command = Command(connection, transaction,
                "SELECT resource_type, resource_id, full_url, json FROM timeline_resources WHERE patient_id IS NULL");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var (type, id) = (reader.GetString(0), reader.GetString(1));
                if (keys.Contains(type + "/" + id) || !ReferencesIn((byte[])reader.GetValue(3)).Any(r => Names(r, keys, fullUrls)))
                    continue;
                reached.Add((type, id));
                keys.Add(type + "/" + id);
                if (!reader.IsDBNull(2))
                    fullUrls.Add(reader.GetString(2));
                grew = true;
            }
        }
        while (grew);
        return reached;
    }

    private static bool Names(string reference, HashSet<string> keys, HashSet<string> fullUrls)
    {
        if (fullUrls.Contains(reference.Trim()))
            return true;
        var target = FhirReferences.Parse(reference);
        return target.Kind is FhirReferenceKind.Relative or FhirReferenceKind.Absolute && keys.Contains(target.ResourceType + "/" + target.Id);
    }

    /// <summary>The string value of every <c>reference</c> property, at any depth (Reference.reference, R4 §2.3.0).</summary>
    internal static List<string> ReferencesIn(ReadOnlySpan<byte> json)
    {
        var references = new List<string>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("reference"u8)
                    && reader.Read() && reader.TokenType == JsonTokenType.String && reader.GetString() is { } value)
                    references.Add(value);
            }
        }
        catch (JsonException)
        {
            // Stored resources were valid JSON when accepted; a damaged one keeps the references read so far.
        }
        return references;
    }
}

/// <summary>
/// fullUrls as erasure compares them: ordinal, as FHIR ids are case-sensitive (an absolute <c>…/Patient/ABC</c> is not
/// <c>…/Patient/abc</c>, whose erasure must not take ABC's rows: review s24-store #10), but a <c>urn:uuid:</c> ignoring
/// case, since a UUID's hex digits may be written either way (RFC 4122 §3).
/// </summary>
internal sealed class FullUrlComparer : IEqualityComparer<string>
{
    public static FullUrlComparer Instance { get; } = new();

    public bool Equals(string? x, string? y) =>
        IsUuid(x) && IsUuid(y) ? string.Equals(x, y, StringComparison.OrdinalIgnoreCase) : string.Equals(x, y, StringComparison.Ordinal);

    public int GetHashCode(string obj) =>
        IsUuid(obj) ? StringComparer.OrdinalIgnoreCase.GetHashCode(obj) : StringComparer.Ordinal.GetHashCode(obj);

    private static bool IsUuid(string? url) => url is not null && url.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase);
}
