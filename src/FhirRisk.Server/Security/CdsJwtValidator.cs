using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FhirRisk.Server.Security;

/// <summary>Why a token was refused: logged, never sent to the caller (who gets a bare 401).</summary>
internal enum JwtRejection
{
    None,
    Malformed,
    WrongType,
    AlgorithmNotAllowed,
    MissingKeyId,
    UntrustedIssuer,
    UntrustedTenant,
    JkuNotAllowed,
    NoMatchingKey,
    InvalidSignatureOrAudience,
    MissingClaim,
    Expired,
    NotYetValid,
    LifetimeTooLong,

    /// <summary><c>iat</c> before this process's replay cache began (less <c>ClockSkew</c>): it may have been used
    /// against the process before a restart, whose cache is gone.</summary>
    IssuedBeforeStart,
    Replayed,

    /// <summary>The issuer's share of the replay cache is full: not a replay, but refused all the same (fail closed).</summary>
    ReplayCacheFull,

    /// <summary>Valid in every other respect, but the shared replay store could not be asked whether the <c>jti</c> was
    /// used before: refused for this call (fail closed), answered 503 with <c>Retry-After</c> rather than 401, since
    /// nothing is wrong with the token.</summary>
    ReplayStoreUnavailable,

    /// <summary>Valid in every other respect, but the call found no place (<c>CdsHooks:MaxConcurrentCalls</c>) before
    /// its <c>jti</c> would be recorded: answered 503 with <c>Retry-After</c>, and the token is not spent.</summary>
    AtCapacity,
}

/// <summary>The outcome of <see cref="CdsJwtValidator.ValidateAsync"/>.</summary>
internal sealed record CdsJwtResult(JwtRejection Rejection, string? Issuer = null, string? Jti = null, string? Tenant = null)
{
    public bool IsValid => Rejection == JwtRejection.None;
}

/// <summary>
/// Checks a CDS client's JWT as the CDS Hooks 2.0 "Trusting CDS Clients" section and its best practices ask, in their
/// order: header (<c>typ</c> JWT, an allowed asymmetric <c>alg</c>, a <c>kid</c>), <c>iss</c> in the allowlist,
/// <c>tenant</c> (when the issuer lists tenants), the signature with the issuer's key (configured, or else fetched
/// from an allowlisted <c>jku</c>), <c>aud</c> = the endpoint invoked, <c>exp</c>/<c>iat</c> against the injected clock (and
/// <c>iat</c> not before the replay cache began), and
/// finally the <c>jti</c> replay guard (<see cref="IJtiReplayGuard"/>: this process's memory or the shared store) —
/// last, so an unsigned token can never burn a legitimate client's nonce nor cost a round trip to the store.
/// </summary>
internal sealed class CdsJwtValidator
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly CdsAuthenticationOptions _options;
    private readonly Dictionary<string, TrustedIssuer> _issuers;
    private readonly HashSet<string> _algorithms;
    private readonly JwksCache _jwks;
    private readonly IJtiReplayGuard _replay;
    private readonly TimeProvider _time;

    public CdsJwtValidator(CdsAuthenticationOptions options, JwksCache jwks, IJtiReplayGuard replay, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        (_options, _jwks, _replay, _time) = (options, jwks, replay, time);
        _algorithms = new HashSet<string>(options.EffectiveAlgorithms, StringComparer.Ordinal);
        _issuers = options.Issuers.ToDictionary(i => i.Issuer, TrustedIssuer.Load, StringComparer.Ordinal);
    }

    public bool HasIssuers => _issuers.Count > 0;

    /// <param name="token">The compact JWS from <c>Authorization: Bearer</c>.</param>
    /// <param name="audiences">The URLs a valid <c>aud</c> may name (the endpoint being invoked).</param>
    /// <param name="admit">Asked once a token is valid in every respect but its <c>jti</c>, just before the replay guard
    /// records it: false refuses the call (<see cref="JwtRejection.AtCapacity"/>) and leaves the <c>jti</c> unrecorded.
    /// The CDS Hooks filter takes the call's place here, so that only calls holding one reach the replay store.</param>
    public async Task<CdsJwtResult> ValidateAsync(string token, IReadOnlyCollection<string> audiences, CancellationToken cancellationToken,
        Func<CancellationToken, ValueTask<bool>>? admit = null)
    {
        ArgumentNullException.ThrowIfNull(audiences);
        if (audiences.Count == 0)
            return new CdsJwtResult(JwtRejection.InvalidSignatureOrAudience); // no configured Audience: nothing is addressed to us
        if (!TryRead(token, out var jwt))
            return new CdsJwtResult(JwtRejection.Malformed);
        if (!string.Equals(jwt.Typ, "JWT", StringComparison.OrdinalIgnoreCase))
            return new CdsJwtResult(JwtRejection.WrongType);
        if (!_algorithms.Contains(jwt.Alg))
            return new CdsJwtResult(JwtRejection.AlgorithmNotAllowed);
        if (string.IsNullOrEmpty(jwt.Kid))
            return new CdsJwtResult(JwtRejection.MissingKeyId);
        if (!_issuers.TryGetValue(jwt.Issuer ?? "", out var issuer))
            return new CdsJwtResult(JwtRejection.UntrustedIssuer);
        var tenant = jwt.TryGetPayloadValue<string>("tenant", out var t) ? t : null;
        if (issuer.Tenants.Count > 0 && (tenant is null || !issuer.Tenants.Contains(tenant)))
            return new CdsJwtResult(JwtRejection.UntrustedTenant, issuer.Name);

        // Keys agreed out of band win; a jku is only followed for a kid they lack, and only when allowlisted.
        var keys = JwksParser.Select(issuer.Keys, jwt.Kid, jwt.Alg);
        if (keys.Count == 0 && jwt.TryGetHeaderValue<string>("jku", out var jku))
        {
            if (!issuer.JkuAllowlist.Contains(jku))
                return new CdsJwtResult(JwtRejection.JkuNotAllowed, issuer.Name);
            keys = JwksParser.Select(await _jwks.GetKeysAsync(jku, jwt.Kid, cancellationToken).ConfigureAwait(false), jwt.Kid, jwt.Alg);
        }
        if (keys.Count == 0)
            return new CdsJwtResult(JwtRejection.NoMatchingKey, issuer.Name);

        var validation = await _handler.ValidateTokenAsync(jwt, Parameters(issuer.Name, audiences, keys)).ConfigureAwait(false);
        if (!validation.IsValid)
            return new CdsJwtResult(JwtRejection.InvalidSignatureOrAudience, issuer.Name);
        return await CheckLifetimeAndReplayAsync(jwt, issuer.Name, tenant, admit, cancellationToken).ConfigureAwait(false);
    }

    private enum TimeClaim { Missing, Number, NotANumber }

    /// <summary>
    /// A time claim as RFC 7519 §2 writes it, a NumericDate: a JSON number of seconds, a fraction allowed (read whole,
    /// rounded down). A JSON string is none, though the token library reads "1700000000" as a number (review s24-cds L3):
    /// read from the payload's own JSON, it is malformed.
    /// </summary>
    private static (TimeClaim Read, long Seconds) NumericDate(System.Text.Json.JsonElement payload, string name)
    {
        if (payload.ValueKind != System.Text.Json.JsonValueKind.Object || !payload.TryGetProperty(name, out var value))
            return (TimeClaim.Missing, 0);
        if (value.ValueKind != System.Text.Json.JsonValueKind.Number)
            return (TimeClaim.NotANumber, 0);
        if (value.TryGetInt64(out var whole))
            return (TimeClaim.Number, whole);
        // Beyond a long, the calendar check refuses it as the value it stands for.
        return value.TryGetDouble(out var seconds) && Math.Abs(seconds) < 1e18 ? (TimeClaim.Number, (long)Math.Floor(seconds)) : (TimeClaim.NotANumber, 0);
    }

    private static bool IsCalendarTime(long unixSeconds) =>
        unixSeconds >= DateTimeOffset.MinValue.ToUnixTimeSeconds() && unixSeconds <= DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    private async Task<CdsJwtResult> CheckLifetimeAndReplayAsync(JsonWebToken jwt, string issuer, string? tenant,
        Func<CancellationToken, ValueTask<bool>>? admit, CancellationToken cancellationToken)
    {
        // The payload was parsed by the library already, so it is JSON.
        using var payload = System.Text.Json.JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload));
        var (expRead, exp) = NumericDate(payload.RootElement, "exp");
        var (iatRead, iat) = NumericDate(payload.RootElement, "iat");
        var (nbfRead, nbf) = NumericDate(payload.RootElement, "nbf");
        if (expRead == TimeClaim.Missing || iatRead == TimeClaim.Missing || string.IsNullOrEmpty(jwt.Id))
            return new CdsJwtResult(JwtRejection.MissingClaim, issuer);
        // A time no DateTimeOffset holds (before year 1, after 9999) is a malformed token, not a server error (security
        // review s12 #11: it answered 500 and logged the exception's message, which quotes the claim).
        var hasNbf = nbfRead == TimeClaim.Number;
        if (expRead == TimeClaim.NotANumber || iatRead == TimeClaim.NotANumber || nbfRead == TimeClaim.NotANumber
            || !IsCalendarTime(exp) || !IsCalendarTime(iat) || hasNbf && !IsCalendarTime(nbf))
            return new CdsJwtResult(JwtRejection.Malformed, issuer);
        var now = _time.GetUtcNow();
        var expires = DateTimeOffset.FromUnixTimeSeconds(exp);
        if (expires + _options.ClockSkew <= now)
            return new CdsJwtResult(JwtRejection.Expired, issuer);
        if (DateTimeOffset.FromUnixTimeSeconds(iat) - _options.ClockSkew > now
            || (hasNbf && DateTimeOffset.FromUnixTimeSeconds(nbf) - _options.ClockSkew > now))
            return new CdsJwtResult(JwtRejection.NotYetValid, issuer);
        if (expires - now > _options.MaxTokenLifetime + _options.ClockSkew)
            return new CdsJwtResult(JwtRejection.LifetimeTooLong, issuer);
        // Closes the restart window of the in-memory replay cache (security review s12 #4). An EHR signs a token per
        // call, so this costs a call in flight across a restart at most one retry. Kept with the shared store too: a
        // store emptied or replaced (a new SQLite file) forgets as a restart does.
        if (DateTimeOffset.FromUnixTimeSeconds(iat) < _replay.StartedAt - _options.ClockSkew)
            return new CdsJwtResult(JwtRejection.IssuedBeforeStart, issuer);
        if (admit is not null)
        {
            if (!await admit(cancellationToken).ConfigureAwait(false))
                return new CdsJwtResult(JwtRejection.AtCapacity, issuer, jwt.Id);
            // The wait for a place may have outlasted the token (CallQueueTimeout is up to 10 minutes).
            if (expires + _options.ClockSkew <= _time.GetUtcNow())
                return new CdsJwtResult(JwtRejection.Expired, issuer);
        }
        return await _replay.TryAddAsync(issuer, jwt.Id, expires + _options.ClockSkew, cancellationToken).ConfigureAwait(false) switch
        {
            ReplayCheck.Added => new CdsJwtResult(JwtRejection.None, issuer, jwt.Id, tenant),
            ReplayCheck.IssuerFull => new CdsJwtResult(JwtRejection.ReplayCacheFull, issuer, jwt.Id),
            ReplayCheck.Unavailable => new CdsJwtResult(JwtRejection.ReplayStoreUnavailable, issuer, jwt.Id),
            _ => new CdsJwtResult(JwtRejection.Replayed, issuer, jwt.Id),
        };
    }

    private TokenValidationParameters Parameters(string issuer, IReadOnlyCollection<string> audiences, IReadOnlyList<JsonWebKey> keys) => new()
    {
        ValidIssuer = issuer,
        ValidAudiences = audiences,
        IssuerSigningKeys = keys,
        ValidAlgorithms = _algorithms,
        ValidTypes = ["JWT"],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        // exp/iat/nbf are checked by CheckLifetimeAndReplayAsync against the injected clock.
        ValidateLifetime = false,
        ValidateIssuerSigningKey = false,
        TryAllIssuerSigningKeys = false,
    };

    private bool TryRead(string token, out JsonWebToken jwt)
    {
        jwt = null!;
        if (string.IsNullOrEmpty(token) || !_handler.CanReadToken(token))
            return false;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
            return !jwt.IsEncrypted;
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException)
        {
            return false;
        }
    }

    private sealed record TrustedIssuer(string Name, IReadOnlyList<JsonWebKey> Keys, HashSet<string> JkuAllowlist, HashSet<string> Tenants)
    {
        public static TrustedIssuer Load(TrustedIssuerOptions options)
        {
            var keys = new List<JsonWebKey>();
            if (!string.IsNullOrEmpty(options.Jwks) && JwksParser.TryParse(options.Jwks, out var inline))
                keys.AddRange(inline);
            if (!string.IsNullOrEmpty(options.JwksPath) && JwksParser.TryParse(File.ReadAllText(options.JwksPath), out var fromFile))
                keys.AddRange(fromFile);
            return new TrustedIssuer(options.Issuer, keys, new HashSet<string>(options.JkuAllowlist, StringComparer.Ordinal),
                new HashSet<string>(options.Tenants, StringComparer.Ordinal));
        }
    }
}
