using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// The default store: one SQLite file (Microsoft.Data.Sqlite). Write-ahead logging lets readers go on while one writer
/// writes; writers take the lock at the start of their transaction (BEGIN IMMEDIATE), so two writers never both read
/// and then both fail to upgrade, and a writer that finds the lock taken waits up to the busy timeout.
/// </summary>
internal sealed class SqliteTimelineStore : SqlTimelineStore
{
    private readonly string _path;
    private readonly string _connectionString;
    private readonly int _busyTimeoutSeconds;

    public SqliteTimelineStore(string path, int busyTimeoutSeconds, TimeProvider time)
        : base(SqlDialect.Sqlite, time)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = System.IO.Path.GetFullPath(path);
        _busyTimeoutSeconds = busyTimeoutSeconds;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = busyTimeoutSeconds,
            Pooling = true,
        }.ToString();
    }

    public override string Provider => "sqlite";

    /// <summary>The database file.</summary>
    public string Path => _path;

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            EnsureFolder();
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragma = Command(connection, null,
                $"PRAGMA busy_timeout = {_busyTimeoutSeconds * 1000}; PRAGMA synchronous = NORMAL;");
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        // deferred: false is BEGIN IMMEDIATE: the write lock is taken now, waiting up to the busy timeout.
        return await Task.Run(() => ((SqliteConnection)connection).BeginTransaction(deferred: false), cancellationToken).ConfigureAwait(false);
    }

    protected override async Task PrepareAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // WAL is a property of the file: set once, it stays for every later connection.
        await using var wal = Command(connection, null, "PRAGMA journal_mode = WAL;");
        await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the file's folder when it is missing (SQLite creates the file, not its folders).</summary>
    private void EnsureFolder()
    {
        if (System.IO.Path.GetDirectoryName(_path) is { Length: > 0 } folder)
            Directory.CreateDirectory(folder);
    }
}
