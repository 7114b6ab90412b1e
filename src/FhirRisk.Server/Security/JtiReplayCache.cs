using System.Collections.Concurrent;

namespace FhirRisk.Server.Security;

/// <summary>
/// The "short-term storage of processed JWTs" of the CDS Hooks best practices: a <c>jti</c> (per issuer) is accepted
/// once, and remembered until its token expires. Bounded: when full of unexpired entries, new tokens are refused
/// (fail closed) rather than forgetting old ones.
/// </summary>
internal sealed class JtiReplayCache(TimeProvider time, int capacity)
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly Lock _sweepGate = new();
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;

    public int Count => _seen.Count;

    /// <summary>True the first time <paramref name="issuer"/>'s <paramref name="jti"/> is seen (or after its entry expired).</summary>
    public bool TryAdd(string issuer, string jti, DateTimeOffset expiresAt)
    {
        var now = time.GetUtcNow();
        SweepIfDue(now);
        if (_seen.Count >= capacity)
            return false;
        var key = issuer + "\n" + jti;
        if (_seen.TryAdd(key, expiresAt))
            return true;
        return _seen.TryGetValue(key, out var previous) && previous <= now && _seen.TryUpdate(key, expiresAt, previous);
    }

    private void SweepIfDue(DateTimeOffset now)
    {
        lock (_sweepGate)
        {
            if (now < _nextSweep && _seen.Count < capacity)
                return;
            _nextSweep = now + SweepInterval;
        }
        foreach (var (key, expiresAt) in _seen)
        {
            if (expiresAt <= now)
                _seen.TryRemove(new KeyValuePair<string, DateTimeOffset>(key, expiresAt));
        }
    }
}
