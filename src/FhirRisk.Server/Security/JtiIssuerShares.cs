using System.Collections.Concurrent;

namespace FhirRisk.Server.Security;

/// <summary>
/// The per-issuer fairness of <see cref="JtiReplayCache"/> for the shared replay store: each issuer may have at most
/// <c>quota</c> unexpired <c>jti</c> rows recorded by this replica, counted here in memory (their expiries, in a heap) so
/// that no request pays a COUNT in the database. Every replica counts its own rows, so the table holds at most
/// replicas × <c>ReplayCacheCapacity</c> unexpired rows, and an issuer minting fresh tokens (a leaked key, a runaway
/// client) is refused on its own — before any round trip — instead of filling the disk at its request rate.
/// </summary>
internal sealed class JtiIssuerShares(TimeProvider time, int quota)
{
    private static readonly TimeSpan FullWarningInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Share> _issuers = new(StringComparer.Ordinal);

    /// <summary>The most unexpired rows one issuer may have recorded by this replica.</summary>
    public int Quota { get; } = Math.Max(1, quota);

    /// <summary>Takes a place for one row of <paramref name="issuer"/>, or returns null when its share is full. The place
    /// is held until <see cref="Place.Dispose"/>, or kept until the token expires by <see cref="Place.Keep"/>.
    /// <paramref name="warnFull"/> is true the first time a share is found full, then at most once a minute per issuer
    /// (warning 309, as the memory cache's).</summary>
    public Place? TryTake(string issuer, out bool warnFull)
    {
        var share = _issuers.GetOrAdd(issuer, _ => new Share());
        return share.TryTake(time.GetUtcNow(), Quota, out warnFull) ? new Place(share) : null;
    }

    /// <summary>A place taken in an issuer's share: given back unless <see cref="Keep"/> recorded a row in it, so a
    /// replay or a store outage costs the issuer nothing.</summary>
    internal sealed class Place(Share share) : IDisposable
    {
        private bool _done;

        public void Keep(DateTimeOffset expiresAt)
        {
            _done = true;
            share.Keep(expiresAt);
        }

        public void Dispose()
        {
            if (!_done)
                share.GiveBack();
            _done = true;
        }
    }

    internal sealed class Share
    {
        private readonly Lock _gate = new();
        private readonly PriorityQueue<DateTimeOffset, DateTimeOffset> _expiries = new();
        private int _pending;
        private DateTimeOffset _nextFullWarning = DateTimeOffset.MinValue;

        public bool TryTake(DateTimeOffset now, int quota, out bool warnFull)
        {
            warnFull = false;
            lock (_gate)
            {
                while (_expiries.TryPeek(out _, out var expiresAt) && expiresAt <= now)
                    _expiries.Dequeue();
                if (_expiries.Count + _pending >= quota)
                {
                    if (now >= _nextFullWarning)
                        (warnFull, _nextFullWarning) = (true, now + FullWarningInterval);
                    return false;
                }
                _pending++;
                return true;
            }
        }

        public void Keep(DateTimeOffset expiresAt)
        {
            lock (_gate)
            {
                _pending--;
                _expiries.Enqueue(expiresAt, expiresAt);
            }
        }

        public void GiveBack()
        {
            lock (_gate)
                _pending--;
        }
    }
}
