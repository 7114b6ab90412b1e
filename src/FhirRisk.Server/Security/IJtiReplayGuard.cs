namespace FhirRisk.Server.Security;

/// <summary>What <see cref="IJtiReplayGuard.TryAddAsync"/> found.</summary>
internal enum ReplayCheck
{
    /// <summary>First use of this <c>jti</c>: remembered until the token expires.</summary>
    Added,

    /// <summary>The issuer already used this <c>jti</c> in a token that has not expired.</summary>
    Replayed,

    /// <summary>The issuer's share of the cache is full of unexpired entries: refused, and not remembered.</summary>
    IssuerFull,

    /// <summary>The shared replay store could not be asked: whether the token was used before is unknown, so it is
    /// refused for this call (fail closed) and nothing was remembered.</summary>
    Unavailable,
}

/// <summary>
/// Where the <c>jti</c> of accepted CDS client tokens are remembered (<c>CdsHooks:Authentication:ReplayStore</c>):
/// in this process (<see cref="JtiReplayCache"/>), or in the timeline store shared by the replicas
/// (<see cref="TimelineJtiReplayGuard"/>). <see cref="CdsJwtValidator"/> asks it last, after the signature.
/// </summary>
internal interface IJtiReplayGuard
{
    /// <summary>When this process began remembering: a token issued before it (less the clock skew) is refused, as
    /// it may have been used against this process before a restart.</summary>
    DateTimeOffset StartedAt { get; }

    /// <summary>Remembers <paramref name="issuer"/>'s <paramref name="jti"/> until <paramref name="expiresAt"/> (the
    /// token's <c>exp</c> plus the clock skew) unless it is already remembered.</summary>
    ValueTask<ReplayCheck> TryAddAsync(string issuer, string jti, DateTimeOffset expiresAt, CancellationToken cancellationToken);
}

/// <summary>The values of <c>CdsHooks:Authentication:ReplayStore</c>.</summary>
internal static class ReplayStores
{
    /// <summary>This process's memory (the default): a replay is refused by the replica that saw the token, not by the
    /// others.</summary>
    public const string Memory = "memory";

    /// <summary>The timeline store: every replica sharing it refuses a replay.</summary>
    public const string TimelineStore = "timeline-store";
}
