using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace FhirRisk.Server.Security;

/// <summary>
/// Keys fetched from allowlisted <c>jku</c> URLs (the spec's "rotating cache of jku keys"), kept for
/// <c>JwksCacheDuration</c>; a <c>kid</c> the cached set lacks triggers one refetch, at most every
/// <see cref="RefetchInterval"/>, so key rotation works and unknown kids cannot make us hammer the client.
/// The fetch happens before any signature is checked, so an unsigned token can ask for it (security review s12 #6):
/// one fetch per URL at a time (the others wait for it); a failed fetch is not retried for <see cref="FailureBackoff"/>;
/// keys older than <see cref="MaxAge"/> are never used, so a refresh that keeps failing fails closed rather than
/// keeping a key the client removed; at most <see cref="MaxResponseBytes"/> are read; redirects are not followed
/// (the named client's handler, CdsHooksExtensions). Callers must check the allowlist before asking: this class
/// fetches whatever URL it is given.
/// </summary>
internal sealed class JwksCache(IHttpClientFactory httpClients, TimeProvider time, TimeSpan cacheDuration, ILogger logger)
{
    public const string HttpClientName = "FhirRisk.CdsHooks.Jwks";

    /// <summary>The largest JWK Set read; a client's set holds a few keys of about 1 KiB each.</summary>
    public const int MaxResponseBytes = 256 * 1024;

    internal static readonly TimeSpan RefetchInterval = TimeSpan.FromSeconds(30);

    internal static readonly TimeSpan FailureBackoff = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _fetchGates = new(StringComparer.Ordinal);

    /// <summary>Past this age a set is not used at all, whether or not its refresh succeeds.</summary>
    internal TimeSpan MaxAge => cacheDuration * 2;

    public async Task<IReadOnlyList<JsonWebKey>> GetKeysAsync(string jku, string kid, CancellationToken cancellationToken)
    {
        if (Cached(jku, kid) is { } cached)
            return cached;
        // Single flight: the gates are as many as the allowlisted URLs, the only ones callers pass.
        var gate = _fetchGates.GetOrAdd(jku, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Whoever held the gate may just have fetched the set, or failed to.
            if (Cached(jku, kid) is { } fetchedMeanwhile)
                return fetchedMeanwhile;
            var previous = _entries.GetValueOrDefault(jku);
            var keys = await FetchAsync(jku, cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var entry = keys is not null
                ? new Entry(keys, now, now, DateTimeOffset.MinValue)
                : new Entry(previous?.Keys ?? [], previous?.FetchedAt ?? DateTimeOffset.MinValue, now, now + FailureBackoff);
            _entries[jku] = entry;
            return Usable(entry, now);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The keys to answer with without fetching, or null when a fetch is due.</summary>
    private IReadOnlyList<JsonWebKey>? Cached(string jku, string kid)
    {
        if (!_entries.TryGetValue(jku, out var entry))
            return null;
        var now = time.GetUtcNow();
        if (now < entry.RetryAfter)
            return Usable(entry, now); // backing off after a failure: no fetch, and past MaxAge no keys
        var fresh = now - entry.FetchedAt < cacheDuration;
        return fresh && (entry.Keys.Any(k => k.Kid == kid) || now - entry.AttemptedAt < RefetchInterval) ? entry.Keys : null;
    }

    private IReadOnlyList<JsonWebKey> Usable(Entry entry, DateTimeOffset now) => now - entry.FetchedAt < MaxAge ? entry.Keys : [];

    private async Task<IReadOnlyList<JsonWebKey>?> FetchAsync(string jku, CancellationToken cancellationToken)
    {
        try
        {
            var client = httpClients.CreateClient(HttpClientName);
            using var response = await client.GetAsync(new Uri(jku), HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                // A redirect lands here too: the handler does not follow it.
                SecurityLog.JwksFetchFailed(logger, LogText.Of(jku), $"HTTP {(int)response.StatusCode}");
                return null;
            }
            var json = await ReadLimitedAsync(response.Content, cancellationToken).ConfigureAwait(false);
            if (json is null)
            {
                SecurityLog.JwksFetchFailed(logger, LogText.Of(jku), $"larger than {MaxResponseBytes} bytes");
                return null;
            }
            if (JwksParser.TryParse(json, out var keys))
                return keys;
            SecurityLog.JwksUnreadable(logger, LogText.Of(jku));
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SecurityLog.JwksFetchFailed(logger, LogText.Of(jku), e.GetType().Name);
            return null;
        }
    }

    /// <summary>The body as text, or null past <see cref="MaxResponseBytes"/> (declared or read).</summary>
    private static async Task<string?> ReadLimitedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxResponseBytes)
            return null;
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[MaxResponseBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            length += read;
        return length > MaxResponseBytes ? null : System.Text.Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <param name="FetchedAt">When <paramref name="Keys"/> were fetched (MinValue: never).</param>
    /// <param name="AttemptedAt">The last fetch, whether it succeeded or not.</param>
    /// <param name="RetryAfter">After a failure, no fetch before this.</param>
    private sealed record Entry(IReadOnlyList<JsonWebKey> Keys, DateTimeOffset FetchedAt, DateTimeOffset AttemptedAt, DateTimeOffset RetryAfter);
}
