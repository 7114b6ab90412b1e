using System.Data.Common;
using FhirRisk.Core;
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
    private volatile bool _fileReady;
    private readonly Lock _identityLock = new();
    private FileIdentity? _openedFile;
    private volatile string? _replaced;

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

    /// <summary>A SQLite error that concerns the file (read-only, cannot open, I/O, full) with the file's and its folder's
    /// state as the operating system reports it (<see cref="SqliteFileProbe"/>).</summary>
    public override string DescribeFailure(Exception exception)
    {
        var described = base.DescribeFailure(exception);
        return TimelineStoreFailure.SqliteCode(exception) is { } code && SqliteResultCodes.ConcernsTheFile(code)
            && SqliteFileProbe.Describe(_path) is { Length: > 0 } state
            ? $"{described}; {state}"
            : described;
    }

    protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            EnsureFile();
            EnsureFileStillThere(connection);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // FULL: with WAL, the log is synced at every commit, so a push answered 200 survives a power loss or a kernel
            // crash as well as the death of the process (NORMAL lost the last commits then; ops review s11 #16). Measured
            // cost in docs/timeline-store.md "Durability".
            await using var pragma = Command(connection, null,
                $"PRAGMA busy_timeout = {_busyTimeoutSeconds * 1000}; PRAGMA synchronous = FULL;");
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Refuses to go on when the database file was removed under the running server (a cleanup script, a volume swapped):
    /// pooled connections would keep writing to the unlinked file, acknowledging pushes that are gone at the next start
    /// (ops review s11 #15). Every request then answers 503 and readiness turns false (event 315 says why) until the
    /// file is restored or the server restarted; the pool is cleared so that a restored file is the one opened next.
    /// </summary>
    /// <remarks>
    /// A file replaced by another under the same name (a backup moved over it with <c>mv</c>, another deployment's file
    /// put in its place) leaves the pooled connections on the old, unlinked file just the same. It is told by the file's
    /// identity (<see cref="SqliteFileProbe.Identity"/>: device and inode), recorded at the first open and compared at
    /// every open, and answered as a removal, but until the server restarts: the path may now name another
    /// organisation's patients, and connections still busy on the old file share the <c>-wal</c> and <c>-shm</c> files
    /// (found by name) with any opened on the new one, which is how SQLite files get corrupted. A file removed and
    /// noticed forgets the identity, so a restored file is taken as before. Where the identity cannot be asked (not Linux,
    /// a libc without statx) only a removal is detected; a file rewritten in place (<c>cp</c> over it keeps the inode)
    /// is never.
    /// </remarks>
    private void EnsureFileStillThere(SqliteConnection connection)
    {
        if (_replaced is { } replaced)
            throw new IOException(replaced);
        if (!File.Exists(_path))
        {
            lock (_identityLock)
                _openedFile = null;
            SqliteConnection.ClearPool(connection);
            throw new IOException($"The database file {_path} was removed while the server ran; restore it from a backup, or restart the server to start an empty store.");
        }
        if (SqliteFileProbe.Identity(_path) is not { } now)
            return;
        lock (_identityLock)
        {
            _openedFile ??= now;
            if (_openedFile == now)
                return;
            _replaced = $"The database file {_path} was replaced by another file while the server ran ({_openedFile} was open, the path " +
                $"now names {now}); every request is refused until the server restarts: check which file is the store, then restart the server to open the file at that path.";
        }
        SqliteConnection.ClearPool(connection);
        throw new IOException(_replaced);
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

    /// <summary>
    /// Creates the database file, and its folder, when missing: the file 0600 and the folder 0700, as they hold raw
    /// patient data (docs/timeline-store.md §Protecting the file). SQLite gives the -wal and -shm files it creates the
    /// mode of the database file, so they follow. An existing file is never opened here: closing a descriptor of a
    /// file SQLite has open would drop its POSIX locks, so CreateNew either makes the file or fails without opening it.
    /// An empty file is a valid, empty SQLite database.
    /// </summary>
    private void EnsureFile()
    {
        if (_fileReady)
            return;
        if (File.Exists(_path))
        {
            _fileReady = true;
            return;
        }
        if (System.IO.Path.GetDirectoryName(_path) is { Length: > 0 } folder)
            OwnerOnlyFiles.CreateFolder(folder);
        try
        {
            new FileStream(_path, OwnerOnlyFiles.Options(FileMode.CreateNew)).Dispose();
        }
        catch (IOException) when (File.Exists(_path))
        {
            // Another connection created it first.
        }
        _fileReady = true;
    }
}
