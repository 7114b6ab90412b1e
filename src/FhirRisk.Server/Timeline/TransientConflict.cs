using System.Data.Common;

namespace FhirRisk.Server.Timeline;

/// <summary>
/// Runs a write transaction again when the database aborted it only because of another one: PostgreSQL's deadlock
/// victim (SQLSTATE 40P01) and serialization failure (40001; PostgreSQL docs §13.4 "applications using this level must
/// be prepared to retry transactions due to serialization failures"). The store writes each transaction's rows in one
/// key order, so its own writes do not deadlock one another; a purge or retention sweep, which deletes by patient, still
/// can meet a write in the other order. Bounded: a conflict that persists past <see cref="MaxAttempts"/> is answered
/// as an outage (503, retry later).
/// </summary>
internal static class TransientConflict
{
    public const int MaxAttempts = 4;

    public static bool IsRetryable(DbException exception) =>
        exception?.SqlState is "40P01" or "40001";

    /// <summary>Runs <paramref name="attempt"/> (which must start its own transaction) until it succeeds, fails otherwise,
    /// or has conflicted <see cref="MaxAttempts"/> times.</summary>
    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        for (var number = 1; ; number++)
        {
            try
            {
                return await attempt(cancellationToken).ConfigureAwait(false);
            }
            catch (DbException e) when (IsRetryable(e) && number < MaxAttempts)
            {
                await Task.Delay(Backoff(number), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>10–20 ms, then 20–40, 40–80: jittered so that the two sides of a deadlock do not meet again in step.</summary>
    internal static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds((5 << attempt) * (1 + Random.Shared.NextDouble()));
}
