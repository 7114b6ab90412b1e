using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace FhirRisk.Server.Security;

/// <summary>Reads a JWK Set (RFC 7517 §5), keeping only the asymmetric keys (EC, RSA) a CDS client may sign with.</summary>
internal static class JwksParser
{
    public static bool TryParse(string json, out IReadOnlyList<JsonWebKey> keys)
    {
        keys = [];
        try
        {
            var set = new JsonWebKeySet(json);
            keys = [.. set.Keys.Where(k => k.Kty is JsonWebAlgorithmsKeyTypes.EllipticCurve or JsonWebAlgorithmsKeyTypes.RSA)];
            return keys.Count > 0;
        }
        catch (Exception e) when (e is ArgumentException or JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The keys of <paramref name="candidates"/> a token signed with <paramref name="alg"/> under
    /// <paramref name="kid"/> may be checked against: same <c>kid</c>, a key type that fits the algorithm, and the
    /// key's own <c>alg</c> (when it names one) equal to the token's.</summary>
    public static IReadOnlyList<JsonWebKey> Select(IEnumerable<JsonWebKey> candidates, string kid, string alg)
    {
        var kty = alg.StartsWith("ES", StringComparison.Ordinal) ? JsonWebAlgorithmsKeyTypes.EllipticCurve : JsonWebAlgorithmsKeyTypes.RSA;
        return [.. candidates.Where(k => k.Kid == kid && k.Kty == kty && (string.IsNullOrEmpty(k.Alg) || k.Alg == alg))];
    }
}
