using System.Runtime.InteropServices;
using System.Security.Cryptography;
using FhirRisk.Server.Timeline;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Security;

/// <summary>
/// The replay guard of <c>CdsHooks:Authentication:ReplayStore = timeline-store</c>: each accepted <c>jti</c> is a row
/// of the timeline store (<see cref="ITimelineStore.RecordClientTokenAsync"/>) until its token expires, so every
/// replica sharing the store refuses a token another has accepted (security review s12 #4: with the memory cache, a
/// captured token was accepted once by each replica). One insert per call, whose row count decides. Fails closed: when
/// the store cannot answer, the call is refused (answered 503, so the EHR retries with a new token) and logged
/// (event 320, at most once a minute). Each issuer's share of <c>ReplayCacheCapacity</c> is counted per replica in
/// memory (<see cref="JtiIssuerShares"/>), so a full share is refused before any round trip.
/// </summary>
internal sealed partial class TimelineJtiReplayGuard(TimelineStoreState store, TimeProvider time, int capacity, int issuerCount, ILogger logger)
    : IJtiReplayGuard
{
    /// <summary>The longest <c>jti</c> stored as sent; longer ones (and ones with characters other than printable
    /// ASCII) are stored as <c>sha256:</c> and their hash, 71 characters, so a row stays small whatever the caller sent
    /// and a stored hash can never equal a stored <c>jti</c>.</summary>
    internal const int MaxStoredJtiLength = 64;

    private readonly JtiIssuerShares _shares = new(time, Math.Max(1, capacity / Math.Max(1, issuerCount)));
    private readonly ThrottledWarning _unavailableWarning = new(time);

    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    /// <summary>The store the rows are in (<see cref="JtiReplaySweeper"/> removes the expired ones).</summary>
    public TimelineStoreState Store => store;

    /// <summary>The most unexpired rows one issuer may have recorded by this replica.</summary>
    public int QuotaPerIssuer => _shares.Quota;

    public async ValueTask<ReplayCheck> TryAddAsync(string issuer, string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        using var place = _shares.TryTake(issuer, out var warnFull);
        if (place is null)
        {
            if (warnFull)
                SecurityLog.ReplayCacheFull(logger, LogText.Of(issuer), _shares.Quota);
            return ReplayCheck.IssuerFull;
        }
        try
        {
            store.EnsureReady();
            if (!await store.Store.RecordClientTokenAsync(issuer, StoredJti(jti), expiresAt, cancellationToken).ConfigureAwait(false))
                return ReplayCheck.Replayed;
            place.Keep(expiresAt);
            return ReplayCheck.Added;
        }
        catch (TimelineStoreUnavailableException e)
        {
            WarnUnavailable(e);
            return ReplayCheck.Unavailable;
        }
    }

    /// <summary>The <c>jti</c> as its row holds it: as sent when short and plain (a UUID is 36 characters), otherwise
    /// <c>sha256:</c> and the hex SHA-256 of its UTF-16 code units (exact, whatever the string holds: a NUL, which
    /// PostgreSQL's text refuses, or half a surrogate pair).</summary>
    internal static string StoredJti(string jti)
    {
        ArgumentNullException.ThrowIfNull(jti);
        if (jti.Length <= MaxStoredJtiLength && jti.All(c => c is > ' ' and < '\u007f'))
            return jti;
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(jti.AsSpan())));
    }

    private void WarnUnavailable(TimelineStoreUnavailableException e)
    {
        if (!_unavailableWarning.TryBegin(out var suppressed))
            return;
        // Our own message when the store is not migrated yet; otherwise the failure's type and codes, never a driver's
        // message (it can quote a connection string).
        var failure = e.InnerException is null ? e.Message : store.Store.DescribeFailure(e);
        SecurityLog.ReplayStoreUnavailable(logger, store.Store.Provider, failure, suppressed, ThrottledWarning.Interval.TotalSeconds);
    }
}
