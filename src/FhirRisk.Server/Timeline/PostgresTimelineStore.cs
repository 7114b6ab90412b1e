using System.Data.Common;
using Npgsql;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// The store for several replicas: one PostgreSQL database (Npgsql). Writes run in read-committed transactions whose
/// <c>INSERT … ON CONFLICT DO NOTHING</c> waits for a concurrent insert of the same key and then sees it; a write takes a
/// shared advisory lock on each patient it touches and erasure and retention an exclusive one on each they remove
/// (<see cref="SqlDialect.LockPatients"/>); migrations take a transaction-scoped advisory lock so that replicas starting
/// together migrate one after another.
/// </summary>
internal sealed class PostgresTimelineStore : SqlTimelineStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresTimelineStore(string connectionString, int commandTimeoutSeconds, TimeProvider time)
        : base(SqlDialect.Postgres, time)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.CommandTimeout == 30)
            builder.CommandTimeout = commandTimeoutSeconds;
        if (builder.Timeout == 15)
            builder.Timeout = 5; // connect timeout: a store that is down should make readiness false quickly
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public override string Provider => "postgresql";

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
