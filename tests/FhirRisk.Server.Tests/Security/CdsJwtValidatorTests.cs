using System.Text.Json.Nodes;
using FhirRisk.Server.Security;
using FhirRisk.Server.Tests.Infrastructure;
using FhirRisk.Testing;
using Microsoft.IdentityModel.Tokens;

namespace FhirRisk.Server.Tests.Security;

public sealed class CdsJwtValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string[] Audiences = [JwtTestKeys.Audience];

    // ---- the specification's ES384 test vector (cds-hooks/jwt/, PROVENANCE.md) ----

    [ExternalDataFact]
    public async Task The_spec_token_is_valid_at_a_clock_before_its_exp()
    {
        var (validator, aud) = SpecValidator(new ManualTimeProvider(new DateTimeOffset(2015, 1, 29, 22, 0, 0, TimeSpan.Zero)));
        var result = await validator.ValidateAsync(SpecToken(), [aud], CancellationToken.None);
        Assert.True(result.IsValid, result.Rejection.ToString());
        Assert.Equal("https://fhir-ehr.example.com/", result.Issuer);
    }

    [ExternalDataFact]
    public async Task The_spec_token_is_expired_under_the_real_clock()
    {
        var (validator, aud) = SpecValidator(TimeProvider.System);
        Assert.Equal(JwtRejection.Expired, (await validator.ValidateAsync(SpecToken(), [aud], CancellationToken.None)).Rejection);
    }

    [ExternalDataFact]
    public async Task The_spec_token_is_refused_for_another_audience_and_when_replayed()
    {
        var (validator, aud) = SpecValidator(new ManualTimeProvider(new DateTimeOffset(2015, 1, 29, 22, 0, 0, TimeSpan.Zero)));
        Assert.Equal(JwtRejection.InvalidSignatureOrAudience,
            (await validator.ValidateAsync(SpecToken(), ["https://cds.example.org/cds-services/other"], CancellationToken.None)).Rejection);
        Assert.True((await validator.ValidateAsync(SpecToken(), [aud], CancellationToken.None)).IsValid);
        Assert.Equal(JwtRejection.Replayed, (await validator.ValidateAsync(SpecToken(), [aud], CancellationToken.None)).Rejection);
    }

    [ExternalDataFact]
    public async Task A_token_signed_with_the_spec_private_key_but_tampered_is_refused()
    {
        var (validator, aud) = SpecValidator(new ManualTimeProvider(new DateTimeOffset(2015, 1, 29, 22, 0, 0, TimeSpan.Zero)));
        var parts = SpecToken().Split('.');
        var payload = JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!;
        payload["tenant"] = "another-tenant";
        var forged = $"{parts[0]}.{Base64UrlEncoder.Encode(payload.ToJsonString())}.{parts[2]}";
        Assert.Equal(JwtRejection.InvalidSignatureOrAudience, (await validator.ValidateAsync(forged, [aud], CancellationToken.None)).Rejection);
    }

    [ExternalDataFact]
    public async Task Fresh_tokens_signed_with_the_spec_private_key_are_accepted()
    {
        var privateKey = new JsonWebKey(File.ReadAllText(ExternalData.Path("cds-hooks", "jwt", "jwk-private.json")));
        var options = new CdsAuthenticationOptions
        {
            Issuers = [new TrustedIssuerOptions { Issuer = JwtTestKeys.Issuer, JwksPath = ExternalData.Path("cds-hooks", "jwt", "jwks-public.json") }],
        };
        var validator = JwtTestKeys.Validator(options, new ManualTimeProvider(Now));
        var token = JwtTestKeys.Token(privateKey, "ES384", Now);
        Assert.True((await validator.ValidateAsync(token, Audiences, CancellationToken.None)).IsValid);
    }

    // ---- self-made keys ----

    // Security review s12 #11: a signed token whose time claim no DateTimeOffset holds answered 500.
    [Theory]
    [InlineData("exp", 99_999_999_999_999L)]
    [InlineData("iat", -99_999_999_999_999L)]
    [InlineData("nbf", 99_999_999_999_999L)]
    public async Task A_time_claim_outside_the_calendar_is_malformed_not_an_error(string claim, long value)
    {
        var (key, jwks) = JwtTestKeys.NewEcKey();
        var validator = JwtTestKeys.Validator(JwtTestKeys.Options(jwks), new ManualTimeProvider(Now));
        var claims = new Dictionary<string, object>
        {
            ["jti"] = Guid.NewGuid().ToString(), ["exp"] = Now.AddMinutes(5).ToUnixTimeSeconds(), ["iat"] = Now.ToUnixTimeSeconds(), [claim] = value,
        };
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = JwtTestKeys.Issuer, Audience = JwtTestKeys.Audience, TokenType = "JWT", SigningCredentials = new SigningCredentials(key, "ES384"), Claims = claims,
        });

        var result = await validator.ValidateAsync(token, Audiences, CancellationToken.None);

        Assert.Equal(JwtRejection.Malformed, result.Rejection);
    }

    // Review s24-cds L3: RFC 7519 §2 lets a NumericDate have a fraction; such tokens were refused as lacking exp, and a
    // time written as a JSON string, which is no NumericDate, was accepted.
    [Theory]
    [InlineData("fraction", "None")]
    [InlineData("string", "Malformed")]
    [InlineData("not-finite", "Malformed")]
    public async Task Time_claims_are_NumericDates_with_or_without_a_fraction_and_never_strings(string form, string expected)
    {
        var (key, jwks) = JwtTestKeys.NewEcKey();
        var validator = JwtTestKeys.Validator(JwtTestKeys.Options(jwks), new ManualTimeProvider(Now));
        object exp = Now.AddMinutes(5).ToUnixTimeSeconds() + 0.25;
        object iat = Now.ToUnixTimeSeconds() - 0.75;
        if (form == "string")
            exp = Now.AddMinutes(5).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (form == "not-finite")
            exp = 1e300;
        var claims = new Dictionary<string, object> { ["jti"] = Guid.NewGuid().ToString(), ["exp"] = exp, ["iat"] = iat, ["nbf"] = iat };
        var token = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = JwtTestKeys.Issuer, Audience = JwtTestKeys.Audience, TokenType = "JWT", SigningCredentials = new SigningCredentials(key, "ES384"), Claims = claims,
        });

        var result = await validator.ValidateAsync(token, Audiences, CancellationToken.None);

        Assert.Equal(Enum.Parse<JwtRejection>(expected), result.Rejection);
    }

    [Fact]
    public async Task ES384_and_RS384_tokens_from_a_trusted_issuer_are_accepted()
    {
        var (ec, ecJwks) = JwtTestKeys.NewEcKey();
        var (rsa, rsaJwks) = JwtTestKeys.NewRsaKey();
        var time = new ManualTimeProvider(Now);
        var options = new CdsAuthenticationOptions
        {
            Issuers =
            [
                new TrustedIssuerOptions { Issuer = JwtTestKeys.Issuer, Jwks = ecJwks },
                new TrustedIssuerOptions { Issuer = "https://other-ehr.example.org", Jwks = rsaJwks },
            ],
        };
        var validator = JwtTestKeys.Validator(options, time);
        Assert.True((await validator.ValidateAsync(JwtTestKeys.Token(ec, "ES384", Now), Audiences, CancellationToken.None)).IsValid);
        Assert.True((await validator.ValidateAsync(JwtTestKeys.Token(rsa, "RS384", Now, issuer: "https://other-ehr.example.org"), Audiences, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task Forged_expired_unsigned_and_misaddressed_tokens_are_refused()
    {
        var (key, jwks) = JwtTestKeys.NewEcKey();
        var (otherKey, _) = JwtTestKeys.NewEcKey(); // same kid, different key: a forgery
        var time = new ManualTimeProvider(Now);
        var validator = JwtTestKeys.Validator(JwtTestKeys.Options(jwks), time);

        async Task<JwtRejection> Check(string token) => (await validator.ValidateAsync(token, Audiences, CancellationToken.None)).Rejection;

        Assert.Equal(JwtRejection.InvalidSignatureOrAudience, await Check(JwtTestKeys.Token(otherKey, "ES384", Now)));
        Assert.Equal(JwtRejection.Expired, await Check(JwtTestKeys.Token(key, "ES384", Now - TimeSpan.FromMinutes(10))));
        Assert.Equal(JwtRejection.AlgorithmNotAllowed, await Check(JwtTestKeys.Unsigned(Now)));
        Assert.Equal(JwtRejection.InvalidSignatureOrAudience, await Check(JwtTestKeys.Token(key, "ES384", Now, audience: "https://cds.example.org/cds-services/other")));
        Assert.Equal(JwtRejection.UntrustedIssuer, await Check(JwtTestKeys.Token(key, "ES384", Now, issuer: "https://evil.example.org")));
        Assert.Equal(JwtRejection.NotYetValid, await Check(JwtTestKeys.Token(key, "ES384", Now + TimeSpan.FromMinutes(10))));
        Assert.Equal(JwtRejection.LifetimeTooLong, await Check(JwtTestKeys.Token(key, "ES384", Now, lifetime: TimeSpan.FromHours(5))));
        Assert.Equal(JwtRejection.Malformed, await Check("not.a.jwt"));
        var hmac = new SymmetricSecurityKey(new byte[48]) { KeyId = "ec-1" };
        Assert.Equal(JwtRejection.AlgorithmNotAllowed, await Check(JwtTestKeys.Token(hmac, "HS384", Now)));
    }

    [Fact]
    public async Task An_unsigned_token_is_refused_even_if_none_were_configured_as_allowed()
    {
        var (_, jwks) = JwtTestKeys.NewEcKey();
        var options = JwtTestKeys.Options(jwks);
        options.Algorithms = ["ES384", "none"]; // the options validator forbids this; the validator must not rely on it
        var validator = JwtTestKeys.Validator(options, new ManualTimeProvider(Now));
        Assert.False((await validator.ValidateAsync(JwtTestKeys.Unsigned(Now), Audiences, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task A_jti_is_accepted_once_until_its_token_expires()
    {
        var (key, jwks) = JwtTestKeys.NewEcKey();
        var time = new ManualTimeProvider(Now);
        var validator = JwtTestKeys.Validator(JwtTestKeys.Options(jwks), time);
        var token = JwtTestKeys.Token(key, "ES384", Now, jti: "nonce-1");
        Assert.True((await validator.ValidateAsync(token, Audiences, CancellationToken.None)).IsValid);
        Assert.Equal(JwtRejection.Replayed, (await validator.ValidateAsync(token, Audiences, CancellationToken.None)).Rejection);
        Assert.Equal(JwtRejection.Replayed, (await validator.ValidateAsync(JwtTestKeys.Token(key, "ES384", Now, jti: "nonce-1"), Audiences, CancellationToken.None)).Rejection);
        time.Advance(TimeSpan.FromMinutes(10)); // the first token and its jti entry have expired
        Assert.True((await validator.ValidateAsync(JwtTestKeys.Token(key, "ES384", time.GetUtcNow(), jti: "nonce-1"), Audiences, CancellationToken.None)).IsValid);
    }

    [Fact]
    public void A_full_share_is_not_a_replay_and_expired_entries_leave_in_expiry_order()
    {
        var time = new ManualTimeProvider(Now);
        var cache = new JtiReplayCache(time, capacity: 6, issuerCount: 3, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Equal(2, cache.QuotaPerIssuer);
        Assert.Equal(ReplayCheck.Added, cache.TryAdd("a", "late", Now + TimeSpan.FromMinutes(10)));
        Assert.Equal(ReplayCheck.Added, cache.TryAdd("a", "early", Now + TimeSpan.FromMinutes(1)));
        Assert.Equal(ReplayCheck.Replayed, cache.TryAdd("a", "early", Now + TimeSpan.FromMinutes(1)));
        Assert.Equal(ReplayCheck.IssuerFull, cache.TryAdd("a", "third", Now + TimeSpan.FromMinutes(1)));
        Assert.Equal(ReplayCheck.Added, cache.TryAdd("b", "third", Now + TimeSpan.FromMinutes(1)));
        time.Advance(TimeSpan.FromMinutes(2)); // "early" has expired, "late" has not
        Assert.Equal(ReplayCheck.Added, cache.TryAdd("a", "third", Now + TimeSpan.FromMinutes(3)));
        Assert.Equal(ReplayCheck.Replayed, cache.TryAdd("a", "late", Now + TimeSpan.FromMinutes(10)));
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public async Task A_token_issued_before_the_service_started_is_refused()
    {
        // Security review s12 #4: the replay cache lives in memory, so after a restart a token used before it would be new.
        var (key, jwks) = JwtTestKeys.NewEcKey();
        var time = new ManualTimeProvider(Now);
        var validator = JwtTestKeys.Validator(JwtTestKeys.Options(jwks), time);
        async Task<JwtRejection> Check(string token) => (await validator.ValidateAsync(token, Audiences, CancellationToken.None)).Rejection;

        Assert.Equal(JwtRejection.IssuedBeforeStart, await Check(JwtTestKeys.Token(key, "ES384", Now - TimeSpan.FromMinutes(2))));
        Assert.Equal(JwtRejection.None, await Check(JwtTestKeys.Token(key, "ES384", Now - TimeSpan.FromSeconds(50)))); // within ClockSkew
        time.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal(JwtRejection.None, await Check(JwtTestKeys.Token(key, "ES384", Now + TimeSpan.FromMinutes(1))));
    }

    [Fact]
    public async Task Keys_come_from_an_allowlisted_jku_only_and_are_cached()
    {
        var (key, jwks) = JwtTestKeys.NewEcKey("rotated");
        var jkus = new StubJwksHandler();
        jkus.Sets["https://ehr.example.org/jwks"] = jwks;
        jkus.Sets["https://evil.example.org/jwks"] = jwks;
        var options = new CdsAuthenticationOptions { Issuers = [new TrustedIssuerOptions { Issuer = JwtTestKeys.Issuer, JkuAllowlist = ["https://ehr.example.org/jwks"] }] };
        var validator = JwtTestKeys.Validator(options, new ManualTimeProvider(Now), jkus);

        Assert.True((await validator.ValidateAsync(JwtTestKeys.Token(key, "ES384", Now, jku: "https://ehr.example.org/jwks"), Audiences, CancellationToken.None)).IsValid);
        Assert.True((await validator.ValidateAsync(JwtTestKeys.Token(key, "ES384", Now, jku: "https://ehr.example.org/jwks"), Audiences, CancellationToken.None)).IsValid);
        Assert.Equal(1, jkus.Requests);
        Assert.Equal(JwtRejection.JkuNotAllowed,
            (await validator.ValidateAsync(JwtTestKeys.Token(key, "ES384", Now, jku: "https://evil.example.org/jwks"), Audiences, CancellationToken.None)).Rejection);
        Assert.Equal(1, jkus.Requests); // never fetched
    }

    [Fact]
    public async Task Tenants_are_checked_when_the_issuer_lists_them()
    {
        var (key, jwks) = JwtTestKeys.NewEcKey();
        var options = JwtTestKeys.Options(jwks);
        options.Issuers[0].Tenants = ["hospital-a"];
        var validator = JwtTestKeys.Validator(options, new ManualTimeProvider(Now));
        Assert.True((await validator.ValidateAsync(JwtTestKeys.Token(key, "ES384", Now, tenant: "hospital-a"), Audiences, CancellationToken.None)).IsValid);
        Assert.Equal(JwtRejection.UntrustedTenant, (await validator.ValidateAsync(JwtTestKeys.Token(key, "ES384", Now, tenant: "hospital-b"), Audiences, CancellationToken.None)).Rejection);
        Assert.Equal(JwtRejection.UntrustedTenant, (await validator.ValidateAsync(JwtTestKeys.Token(key, "ES384", Now), Audiences, CancellationToken.None)).Rejection);
    }

    private static (CdsJwtValidator Validator, string Audience) SpecValidator(TimeProvider time)
    {
        var payload = JsonNode.Parse(File.ReadAllText(ExternalData.Path("cds-hooks", "jwt", "jwt-payload.json")))!;
        var options = new CdsAuthenticationOptions
        {
            Issuers = [new TrustedIssuerOptions { Issuer = (string)payload["iss"]!, Jwks = File.ReadAllText(ExternalData.Path("cds-hooks", "jwt", "jwks-public.json")) }],
            // The spec token lives from 2011 to 2015: longer than our one-hour cap, which is policy, not the point here.
            MaxTokenLifetime = TimeSpan.FromDays(1),
        };
        if (time is not ManualTimeProvider manual)
            return (JwtTestKeys.Validator(options, time), (string)payload["aud"]!);
        // The service started before the spec token was issued (2011): tokens issued before a start are refused.
        var at = manual.GetUtcNow();
        manual.Set(DateTimeOffset.FromUnixTimeSeconds((long)payload["iat"]!));
        var validator = JwtTestKeys.Validator(options, manual);
        manual.Set(at);
        return (validator, (string)payload["aud"]!);
    }

    private static string SpecToken() => File.ReadAllText(ExternalData.Path("cds-hooks", "jwt", "jwt-compact.txt")).Trim();
}
