using System.Collections.Concurrent;

namespace FhirRisk.Server.CdsHooks;

/// <summary>What the service adds to a search of its own (<see cref="FhirServerClient.SearchForms"/>).</summary>
[Flags]
internal enum SearchAdditions
{
    None = 0,

    /// <summary><c>_count</c> (<c>CdsHooks:Fhir:PageSize</c>).</summary>
    PageSize = 1,

    /// <summary><c>_sort=-_lastUpdated</c> (<c>CdsHooks:Fhir:NewestFirst</c>).</summary>
    NewestFirst = 2,
}

/// <summary>
/// Which additions each FHIR server refused, per calling client and resource type, learnt when a search without them
/// succeeded where the one with them was refused, or when every form was refused (review s20 M4): the next calls start
/// without them, instead of paying the refused requests on every key of every call. Forgotten after <see cref="Lifetime"/> (a server upgraded meanwhile is asked again), and
/// bounded in size. One per service (DI singleton), so test hosts do not share it.
/// </summary>
internal sealed class FhirSearchMemory(TimeProvider time)
{
    /// <summary>How long a refusal is remembered.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    /// <summary>Most (server, type) pairs remembered; past it the memory starts again.</summary>
    private const int Capacity = 4096;

    private readonly ConcurrentDictionary<string, (SearchAdditions Refused, DateTimeOffset Until)> _refused = new(StringComparer.Ordinal);

    /// <param name="issuer">The calling CDS client ("" without one): a refusal may be its token's scopes.</param>
    public SearchAdditions Refused(string issuer, Uri fhirServer, string relativeUrl) =>
        _refused.TryGetValue(Key(issuer, fhirServer, relativeUrl), out var known) && known.Until > time.GetUtcNow() ? known.Refused : SearchAdditions.None;

    public void Remember(string issuer, Uri fhirServer, string relativeUrl, SearchAdditions refused)
    {
        if (refused == SearchAdditions.None)
            return;
        if (_refused.Count >= Capacity)
        {
            // The expired first; a memory still full of live entries (many servers named) starts again.
            var now = time.GetUtcNow();
            foreach (var (key, known) in _refused)
            {
                if (known.Until <= now)
                    _refused.TryRemove(key, out _);
            }
            if (_refused.Count >= Capacity)
                _refused.Clear();
        }
        _refused[Key(issuer, fhirServer, relativeUrl)] = (refused, time.GetUtcNow() + Lifetime);
    }

    private static string Key(string issuer, Uri fhirServer, string relativeUrl) =>
        issuer + "|" + fhirServer.AbsoluteUri.TrimEnd('/') + "|" + relativeUrl.Split('?', '/')[0];
}
