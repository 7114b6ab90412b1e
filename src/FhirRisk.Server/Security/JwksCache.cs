using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace FhirRisk.Server.Security;

/// <summary>
/// Keys fetched from allowlisted <c>jku</c> URLs (the spec's "rotating cache of jku keys"), kept for
/// <c>JwksCacheDuration</c>; a <c>kid</c> the cached set lacks triggers one refetch, at most every
/// <see cref="RefetchInterval"/>, so key rotation works and unknown kids cannot make us hammer the client.
/// Callers must check the allowlist before asking: this class fetches whatever URL it is given.
/// </summary>
internal sealed class JwksCache(IHttpClientFactory httpClients, TimeProvider time, TimeSpan cacheDuration, ILogger logger)
{
    public const string HttpClientName = "FhirRisk.CdsHooks.Jwks";

    private static readonly TimeSpan RefetchInterval = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<JsonWebKey>> GetKeysAsync(string jku, string kid, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(jku, out var entry))
        {
            var fresh = now - entry.FetchedAt < cacheDuration;
            var hasKid = entry.Keys.Any(k => k.Kid == kid);
            if (fresh && (hasKid || now - entry.FetchedAt < RefetchInterval))
                return entry.Keys;
        }
        var keys = await FetchAsync(jku, cancellationToken).ConfigureAwait(false);
        if (keys is null)
            return entry?.Keys ?? [];
        _entries[jku] = new Entry(keys, now);
        return keys;
    }

    private async Task<IReadOnlyList<JsonWebKey>?> FetchAsync(string jku, CancellationToken cancellationToken)
    {
        try
        {
            var client = httpClients.CreateClient(HttpClientName);
            var json = await client.GetStringAsync(new Uri(jku), cancellationToken).ConfigureAwait(false);
            if (JwksParser.TryParse(json, out var keys))
                return keys;
            SecurityLog.JwksUnreadable(logger, LogText.Of(jku));
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SecurityLog.JwksFetchFailed(logger, LogText.Of(jku), e.GetType().Name);
            return null;
        }
    }

    private sealed record Entry(IReadOnlyList<JsonWebKey> Keys, DateTimeOffset FetchedAt);
}
