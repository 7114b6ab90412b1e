namespace FhirRisk.Server.CdsHooks;

/// <summary>
/// At most <c>CdsHooks:Fhir:MaxRequestsPerServer</c> requests at once to one FHIR server authority (scheme, host,
/// port), over every calling issuer, hook call and key (review s24-cds L7): one hook call fetches its prefetch keys in
/// parallel and up to <c>CdsHooks:MaxConcurrentCalls</c> calls run at once, so without a cap some 700 requests could
/// reach one EHR's FHIR API together, which a rate-limited API answers with 429 to all. A page waits for a slot before
/// its attempts start and holds it through its retries (a server that asked to be left alone is not given the slot's
/// place for others' requests meanwhile). The wait is bounded by the key's own budget (<c>TotalTimeout</c>): a key still
/// waiting when that is spent fails as timed out, and is not counted against the server's circuit, since the server
/// never saw it. An authority's entry lives while a request holds or waits for one of its slots, so the map holds no more
/// authorities than requests in flight.
/// </summary>
/// <param name="perServer">Slots per authority (at least 1).</param>
internal sealed class FhirServerSlots(int perServer)
{
    private readonly Dictionary<string, Authority> _authorities = new(StringComparer.Ordinal);

    /// <summary>Waits for a slot of <paramref name="server"/>'s authority; dispose the lease to give it back.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public async ValueTask<Lease> EnterAsync(Uri server, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        var key = FhirServerPolicy.AuthorityOf(server);
        Authority authority;
        lock (_authorities)
        {
            if (!_authorities.TryGetValue(key, out authority!))
                _authorities[key] = authority = new Authority(perServer);
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

    /// <summary>Authorities with a request holding or waiting for a slot.</summary>
    internal int Count
    {
        get
        {
            lock (_authorities)
                return _authorities.Count;
        }
    }

    private void Leave(string key, Authority authority)
    {
        lock (_authorities)
        {
            if (--authority.Users == 0)
                _authorities.Remove(key);
        }
    }

    /// <summary>A held slot; disposing it once gives it back (a second dispose does nothing).</summary>
    internal sealed class Lease(FhirServerSlots owner, string key, Authority authority) : IDisposable
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

    /// <param name="slots">The authority's slots.</param>
    internal sealed class Authority(int slots)
    {
        public SemaphoreSlim Slots { get; } = new(slots, slots);

        /// <summary>Requests holding or waiting for a slot (guarded by the map's lock).</summary>
        public int Users { get; set; }
    }
}
