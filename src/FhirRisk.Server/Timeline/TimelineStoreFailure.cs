using System.Data.Common;
using System.Globalization;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// What went wrong with the store, in words an operator can act on and that hold no secret: the innermost exception's
/// type with, for a database error, its SQL state and error code (SQLite 5 busy, 14 cannot open, 26 not a database),
/// and for a file-system error its message (the store's path). A driver's own message is never used: it can quote a
/// connection string.
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
            DbException db => string.Create(CultureInfo.InvariantCulture,
                $"{db.GetType().Name}, error code {db.ErrorCode}{(db.SqlState is { Length: > 0 } state ? $", SQL state {state}" : "")}"),
            IOException or UnauthorizedAccessException => $"{inner.GetType().Name}: {inner.Message}",
            _ => inner.GetType().Name,
        };
    }
}
