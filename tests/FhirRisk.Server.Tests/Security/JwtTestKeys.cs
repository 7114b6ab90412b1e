using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using FhirRisk.Server.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FhirRisk.Server.Tests.Security;

/// <summary>Keys and tokens made in the test (so JWT checks run without the spec folder too).</summary>
internal static class JwtTestKeys
{
    public const string Issuer = "https://ehr.example.org";
    public const string Audience = "https://cds.example.org/cds-services/fhirrisk-patient-risk";

    public static (SecurityKey Signing, string Jwks) NewEcKey(string kid = "ec-1")
    {
        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var p = ecdsa.ExportParameters(false);
        var jwk = new JsonObject { ["kty"] = "EC", ["crv"] = "P-384", ["kid"] = kid, ["use"] = "sig", ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y) };
        return (new ECDsaSecurityKey(ecdsa) { KeyId = kid }, new JsonObject { ["keys"] = new JsonArray(jwk) }.ToJsonString());
    }

    public static (SecurityKey Signing, string Jwks) NewRsaKey(string kid = "rsa-1")
    {
        var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(false);
        var jwk = new JsonObject { ["kty"] = "RSA", ["kid"] = kid, ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent) };
        return (new RsaSecurityKey(rsa) { KeyId = kid }, new JsonObject { ["keys"] = new JsonArray(jwk) }.ToJsonString());
    }

    public static string Token(SecurityKey key, string alg, DateTimeOffset now, string? jti = null, string audience = Audience,
        string issuer = Issuer, TimeSpan? lifetime = null, string? jku = null, string? tenant = null)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            Expires = (now + (lifetime ?? TimeSpan.FromMinutes(5))).UtcDateTime,
            TokenType = "JWT",
            SigningCredentials = new SigningCredentials(key, alg),
            Claims = new Dictionary<string, object> { ["jti"] = jti ?? Guid.NewGuid().ToString() },
        };
        if (tenant is not null)
            descriptor.Claims["tenant"] = tenant;
        if (jku is not null)
            descriptor.AdditionalHeaderClaims = new Dictionary<string, object> { ["jku"] = jku };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>An unsigned token (<c>alg: none</c>) with the given claims.</summary>
    public static string Unsigned(DateTimeOffset now, string kid = "ec-1") =>
        Base64UrlEncoder.Encode($$"""{"alg":"none","typ":"JWT","kid":"{{kid}}"}""") + "." +
        Base64UrlEncoder.Encode($$"""{"iss":"{{Issuer}}","aud":"{{Audience}}","exp":{{now.ToUnixTimeSeconds() + 300}},"iat":{{now.ToUnixTimeSeconds()}},"jti":"{{Guid.NewGuid()}}"}""") + ".";

    public static CdsAuthenticationOptions Options(string jwks, string issuer = Issuer) => new()
    {
        Issuers = [new TrustedIssuerOptions { Issuer = issuer, Jwks = jwks }],
    };

    public static CdsJwtValidator Validator(CdsAuthenticationOptions options, TimeProvider time, StubJwksHandler? jku = null) =>
        new(options, new JwksCache(new StubHttpClientFactory(jku ?? new StubJwksHandler()), time, options.JwksCacheDuration, NullLogger.Instance),
            new JtiReplayCache(time, options.ReplayCacheCapacity, options.Issuers.Count, NullLogger.Instance), time);
}

/// <summary>Serves JWK Sets by URL from memory and counts requests (no network).</summary>
internal sealed class StubJwksHandler : HttpMessageHandler
{
    public Dictionary<string, string> Sets { get; } = new(StringComparer.Ordinal);

    public int Requests { get; private set; }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests++;
        return Task.FromResult(Sets.TryGetValue(request.RequestUri!.AbsoluteUri, out var json)
            ? new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(json, Encoding.UTF8, "application/json") }
            : new HttpResponseMessage(System.Net.HttpStatusCode.NotFound));
    }
}

internal sealed class StubHttpClientFactory(HttpMessageHandler handler) : IHttpClientFactory
{
    public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
}
