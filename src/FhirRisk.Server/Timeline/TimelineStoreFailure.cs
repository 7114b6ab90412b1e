using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// What went wrong with the store, in words an operator can act on and that hold no secret: the innermost exception's
/// type with, for SQLite, its result code, name, extended code and meaning (https://sqlite.org/rescode.html) and what to
/// do about it; for another database error its SQL state; for a file-system error its message (the store's path). A
/// driver's own message is never used: it can quote a connection string. <see cref="DbException.ErrorCode"/> is not
/// either: Microsoft.Data.Sqlite and Npgsql set it to the HResult, E_FAIL (-2147467259) for every error alike (ops
/// review s11 #4).
/// </summary>
internal static class TimelineStoreFailure
{
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var inner = exception;
        while (inner.InnerException is { } next)
            inner = next;
        return inner switch
        {
            SqliteException sqlite => string.Create(CultureInfo.InvariantCulture,
                $"{sqlite.GetType().Name}, {SqliteResultCodes.Describe(sqlite.SqliteErrorCode, sqlite.SqliteExtendedErrorCode)}"),
            DbException db => db.SqlState is { Length: > 0 } state ? $"{db.GetType().Name}, SQL state {state}" : db.GetType().Name,
            IOException or UnauthorizedAccessException => $"{inner.GetType().Name}: {inner.Message}",
            _ => inner.GetType().Name,
        };
    }

    /// <summary>The SQLite result code of the innermost exception, or null when it is not a SQLite error.</summary>
    public static int? SqliteCode(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var inner = exception;
        while (inner.InnerException is { } next)
            inner = next;
        return inner is SqliteException sqlite ? sqlite.SqliteErrorCode : null;
    }
}

/// <summary>SQLite's primary result codes (https://sqlite.org/rescode.html): name, meaning (sqlite3_errstr) and, for the
/// ones an operator can act on, what to do.</summary>
internal static class SqliteResultCodes
{
    public const int ReadOnly = 8, IoError = 10, Corrupt = 11, Full = 13, CantOpen = 14, Permission = 3, NotADatabase = 26;

    private static readonly Dictionary<int, (string Name, string Meaning, string? Action)> s_codes = new()
    {
        [1] = ("SQLITE_ERROR", "SQL logic error", null),
        [2] = ("SQLITE_INTERNAL", "internal logic error", null),
        [Permission] = ("SQLITE_PERM", "access permission denied", "check the permissions of the file and its folder"),
        [4] = ("SQLITE_ABORT", "query aborted", null),
        [5] = ("SQLITE_BUSY", "database is locked", "another process holds the file's write lock past the busy timeout"),
        [6] = ("SQLITE_LOCKED", "database table is locked", null),
        [7] = ("SQLITE_NOMEM", "out of memory", null),
        [ReadOnly] = ("SQLITE_READONLY", "attempt to write a readonly database",
            "the file or its folder is not writable by the server: fix the permissions or the mount (a read-only volume)"),
        [9] = ("SQLITE_INTERRUPT", "interrupted", null),
        [IoError] = ("SQLITE_IOERR", "disk I/O error", "check the disk and the file system (dmesg)"),
        [Corrupt] = ("SQLITE_CORRUPT", "database disk image is malformed", "the file is damaged: restore it from a backup"),
        [12] = ("SQLITE_NOTFOUND", "unknown operation", null),
        [Full] = ("SQLITE_FULL", "database or disk is full", "free space on the volume, or move the store to a larger one"),
        [CantOpen] = ("SQLITE_CANTOPEN", "unable to open database file", "check that the path exists and the server may open it"),
        [15] = ("SQLITE_PROTOCOL", "locking protocol", null),
        [17] = ("SQLITE_SCHEMA", "database schema has changed", null),
        [18] = ("SQLITE_TOOBIG", "string or blob too big", null),
        [19] = ("SQLITE_CONSTRAINT", "constraint failed", null),
        [20] = ("SQLITE_MISMATCH", "datatype mismatch", null),
        [21] = ("SQLITE_MISUSE", "bad parameter or other API misuse", null),
        [22] = ("SQLITE_NOLFS", "large file support is disabled", null),
        [23] = ("SQLITE_AUTH", "authorization denied", null),
        [25] = ("SQLITE_RANGE", "column index out of range", null),
        [NotADatabase] = ("SQLITE_NOTADB", "file is not a database",
            "the file is not a SQLite database (or is damaged at its start): restore it from a backup, or point TimelineStore:SqlitePath at the store"),
    };

    /// <summary><c>SQLite error 11 SQLITE_CORRUPT (extended 11): database disk image is malformed; the file is damaged: …</c></summary>
    public static string Describe(int code, int extended)
    {
        var (name, meaning, action) = s_codes.TryGetValue(code, out var known) ? known : ("SQLITE_?", "unknown result code", null);
        return string.Create(CultureInfo.InvariantCulture,
            $"SQLite error {code} {name} (extended {extended}): {meaning}{(action is null ? "" : "; " + action)}");
    }

    /// <summary>Codes for which the state of the file and its folder on disk says more (<see cref="SqliteTimelineStore"/>).</summary>
    public static bool ConcernsTheFile(int code) => code is Permission or ReadOnly or IoError or CantOpen or Full;
}
