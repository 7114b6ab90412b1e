namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// At most <c>CdsHooks:Fhir:MaxRequestsPerServer</c> prefetch keys at once of one calling issuer at one FHIR server
/// authority (scheme, host, port), over every hook call and tenant of that issuer (review s24-cds L7): one hook call
/// fetches its keys in parallel and up to <c>CdsHooks:MaxConcurrentCalls</c> calls run at once, so without a cap some
/// 700 requests could reach one EHR's FHIR API together, which a rate-limited API answers with 429 to all. Per issuer, as
/// the circuits are (<see cref="FhirResiliencePipelines"/>): one EHR's slow or rate-limited keys queue behind each other,
/// never in front of another EHR's on a FHIR host they share (review s26 M1). A key takes its slot once, before its first
/// page, and holds it through every page, attempt and retry wait of that search form (a search whose later page queued
/// again behind other keys' first pages lost the pages it had read when its budget ran out, review s26 M2). The wait
/// is bounded by the key's own budget (<c>TotalTimeout</c>): a key still waiting when that is spent, or left with too
/// little of it to be worth sending, fails as timed out and is not counted against the server's circuit, since the
/// server never saw it. An entry lives while a key holds or waits for one of its slots, so the map holds no more
/// entries than keys in flight.
/// </summary>
/// <param name="perServer">Slots per issuer and authority (at least 1).</param>
internal sealed class FhirServerSlots(int perServer)
{
    private readonly int _perServer = perServer >= 1 ? perServer : throw new ArgumentOutOfRangeException(nameof(perServer), perServer, "at least one slot");
    private readonly Dictionary<(string Issuer, string Authority), Authority> _authorities = [];

    /// <summary>Waits for one of <paramref name="issuer"/>'s slots at <paramref name="server"/>'s authority; dispose the
    /// lease to give it back.</summary>
    /// <param name="issuer">The calling CDS client's issuer ("" without one), compared exactly.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public async ValueTask<Lease> EnterAsync(Uri server, string issuer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(issuer);
        var key = (issuer, FhirServerPolicy.AuthorityOf(server));
        Authority authority;
        lock (_authorities)
        {
            if (!_authorities.TryGetValue(key, out authority!))
                _authorities[key] = authority = new Authority(_perServer);
            authority.Users++;
        }
        try
        {
            await authority.Slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Leave(key, authority);
            throw;
        }
        return new Lease(this, key, authority);
    }

    /// <summary>(Issuer, authority) pairs with a key holding or waiting for a slot.</summary>
    internal int Count
    {
        get
        {
            lock (_authorities)
                return _authorities.Count;
        }
    }

    private void Leave((string, string) key, Authority authority)
    {
        lock (_authorities)
        {
            if (--authority.Users == 0)
                _authorities.Remove(key);
        }
    }

    /// <summary>A held slot; disposing it once gives it back (a second dispose does nothing).</summary>
    internal sealed class Lease(FhirServerSlots owner, (string, string) key, Authority authority) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0)
                return;
            authority.Slots.Release();
            owner.Leave(key, authority);
        }
    }

    /// <param name="slots">The issuer's slots at the authority.</param>
    internal sealed class Authority(int slots)
    {
        public SemaphoreSlim Slots { get; } = new(slots, slots);

        /// <summary>Keys holding or waiting for a slot (guarded by the map's lock).</summary>
        public int Users { get; set; }
    }
}
