using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Security;

/// <summary>
/// The "short-term storage of processed JWTs" of the CDS Hooks best practices: a <c>jti</c> (per issuer) is accepted
/// once, and remembered until its token expires. Bounded per issuer: each gets an equal share of <c>capacity</c>, so
/// an issuer that fills its share (a leaked key, a runaway client) is refused on its own (fail closed) while the
/// others go on (security review s12 #5). Expired entries leave in expiry order, so a call does no full scan, full or not.
/// Held in this process only: another replica, or this one after a restart, has not seen the <c>jti</c>
/// (docs/cds-hooks.md "Replay protection"); <see cref="TimelineJtiReplayGuard"/> is the shared one.
/// </summary>
internal sealed class JtiReplayCache(TimeProvider time, int capacity, int issuerCount, ILogger logger) : IJtiReplayGuard
{
    private static readonly TimeSpan FullWarningInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, IssuerEntries> _issuers = new(StringComparer.Ordinal);

    /// <summary>When this cache began remembering: a token issued before it may have been used before a restart.</summary>
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    /// <summary>The most unexpired <c>jti</c> values kept for one issuer.</summary>
    public int QuotaPerIssuer { get; } = Math.Max(1, capacity / Math.Max(1, issuerCount));

    public int Count => _issuers.Values.Sum(i => i.Count);

    public ValueTask<ReplayCheck> TryAddAsync(string issuer, string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        ValueTask.FromResult(TryAdd(issuer, jti, expiresAt));

    /// <summary>Whether <paramref name="issuer"/>'s <paramref name="jti"/> is new (or its entry expired). A full share
    /// is logged as a warning (event 309) the first time, then at most once a minute per issuer, so a flood of refused
    /// calls cannot flood the log (each refusal is still event 300).</summary>
    public ReplayCheck TryAdd(string issuer, string jti, DateTimeOffset expiresAt)
    {
        var check = _issuers.GetOrAdd(issuer, _ => new IssuerEntries()).TryAdd(jti, expiresAt, time.GetUtcNow(), QuotaPerIssuer, out var warnFull);
        if (warnFull)
            SecurityLog.ReplayCacheFull(logger, LogText.Of(issuer), QuotaPerIssuer);
        return check;
    }

    /// <summary>One issuer's entries, with their expiries in a heap so the expired ones leave cheapest first.</summary>
    private sealed class IssuerEntries
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
        private readonly PriorityQueue<string, DateTimeOffset> _byExpiry = new();
        private DateTimeOffset _nextFullWarning = DateTimeOffset.MinValue;

        public int Count
        {
            get
            {
                lock (_gate)
                    return _seen.Count;
            }
        }

        public ReplayCheck TryAdd(string jti, DateTimeOffset expiresAt, DateTimeOffset now, int quota, out bool warnFull)
        {
            warnFull = false;
            lock (_gate)
            {
                RemoveExpired(now);
                if (_seen.ContainsKey(jti))
                    return ReplayCheck.Replayed;
                if (_seen.Count >= quota)
                {
                    if (now >= _nextFullWarning)
                        (warnFull, _nextFullWarning) = (true, now + FullWarningInterval);
                    return ReplayCheck.IssuerFull;
                }
                _seen.Add(jti, expiresAt);
                _byExpiry.Enqueue(jti, expiresAt);
                return ReplayCheck.Added;
            }
        }

        private void RemoveExpired(DateTimeOffset now)
        {
            // Each jti is queued once (a live one is never re-added), so the heap and the dictionary stay the same size.
            while (_byExpiry.TryPeek(out var jti, out var expiresAt) && expiresAt <= now)
            {
                _byExpiry.Dequeue();
                _seen.Remove(jti);
            }
        }
    }
}
