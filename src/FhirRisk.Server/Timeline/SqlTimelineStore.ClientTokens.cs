using System.Data.Common;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// The <c>jti</c> of CDS client tokens (migration 5), for the replay guard that all replicas sharing the store use
/// (docs/cds-hooks.md "Replay protection"). One SQL text for both databases, as the resources' writes.
/// </summary>
internal abstract partial class SqlTimelineStore
{
    /// <summary>
    /// Inserts the row, or takes over one whose token has expired (not swept yet): a jti may be used again once its
    /// token is gone, as the in-memory cache allows. A live row is left alone and the statement changes nothing, so its
    /// row count (1 or 0) tells new from replayed in one round trip. PostgreSQL's <c>ON CONFLICT</c> waits for a
    /// concurrent insert of the same key and then re-checks the condition on it, so two replicas given the same token
    /// at once accept it once; SQLite runs one writer at a time. <c>ON CONFLICT … DO UPDATE … WHERE</c> rather than
    /// SQLite's <c>INSERT OR IGNORE</c>, which would also swallow a NOT NULL violation and keep an expired row.
    /// </summary>
    private const string RecordClientToken = """
        INSERT INTO cds_client_token_ids (issuer, jti, expires_at) VALUES (@issuer, @jti, @expires)
        ON CONFLICT (issuer, jti) DO UPDATE SET expires_at = excluded.expires_at
        WHERE cds_client_token_ids.expires_at <= @now
        """;

    // A batch at a time, by the expiry index: each statement holds its locks briefly, whatever the table's size.
    private const string RemoveExpiredClientTokens = """
        DELETE FROM cds_client_token_ids WHERE (issuer, jti) IN (
            SELECT issuer, jti FROM cds_client_token_ids WHERE expires_at <= @now ORDER BY expires_at LIMIT @limit)
        """;

    public async Task<bool> RecordClientTokenAsync(string issuer, string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(jti);
        await using var connection = await OpenGuardedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = Command(connection, null, RecordClientToken);
            Add(command, "issuer", issuer);
            Add(command, "jti", jti);
            Add(command, "expires", Micros(expiresAt));
            Add(command, "now", NowMicros());
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }
        catch (DbException e)
        {
            throw new TimelineStoreUnavailableException($"The {Provider} timeline store could not record a client token id ({TimelineStoreFailure.Describe(e)}).", e);
        }
    }

    public async Task<int> RemoveExpiredClientTokensAsync(int maxRows, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRows);
        await using var connection = await OpenGuardedAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Replicas sweep the same rows at about the same time; PostgreSQL may then pick one of two deletes as a
            // deadlock victim, which is simply run again.
            return await TransientConflict.RunAsync(async token =>
            {
                await using var command = Command(connection, null, RemoveExpiredClientTokens);
                Add(command, "now", NowMicros());
                Add(command, "limit", maxRows);
                return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw new TimelineStoreUnavailableException($"The {Provider} timeline store could not remove expired client token ids ({TimelineStoreFailure.Describe(e)}).", e);
        }
    }
}
