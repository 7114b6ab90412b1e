using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Security;

/// <summary>Authentication log lines (event ids 3xx). They may name the issuer, tenant and <c>jti</c> (the spec's best
/// practices allow it) but never the token itself.</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "CDS client token refused on {Path}: {Reason} (iss {Issuer})")]
    public static partial void TokenRejected(ILogger logger, string path, string reason, string? issuer);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "CDS client {Issuer} authenticated (jti {Jti}, tenant {Tenant})")]
    public static partial void TokenAccepted(ILogger logger, string issuer, string jti, string? tenant);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "JWK Set at {Jku} could not be fetched ({Reason}); not fetched again for 30 s")]
    public static partial void JwksFetchFailed(ILogger logger, string jku, string reason);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "JWK Set at {Jku} holds no usable asymmetric key")]
    public static partial void JwksUnreadable(ILogger logger, string jku);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning,
        Message = "CDS Hooks authentication is OFF (CdsHooks:Authentication:Mode = LocalDemo): any caller on this machine is trusted. Never use this mode with real patient data.")]
    public static partial void LocalDemoMode(ILogger logger);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning,
        Message = "CDS Hooks authentication is on but no trusted issuer is configured (CdsHooks:Authentication:Issuers): every call will be answered 401")]
    public static partial void NoTrustedIssuers(ILogger logger);

    [LoggerMessage(EventId = 306, Level = LogLevel.Information, Message = "Service client token refused on {Endpoint}")]
    public static partial void ServiceTokenRejected(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 307, Level = LogLevel.Warning,
        Message = "FHIR push and gRPC authentication is OFF (ServiceAuthentication:Mode = LocalDemo): any caller on this machine can read and write stored patients. Never use this mode with real patient data.")]
    public static partial void ServiceLocalDemoMode(ILogger logger);

    [LoggerMessage(EventId = 308, Level = LogLevel.Warning,
        Message = "No client is configured for FHIR push and gRPC (ServiceAuthentication:Clients): every call to them will be refused")]
    public static partial void NoServiceClients(ILogger logger);

    [LoggerMessage(EventId = 317, Level = LogLevel.Warning, Message = "Service client {Client} may not {Scope}: refused on {Endpoint}")]
    public static partial void ServiceScopeRefused(ILogger logger, string client, string scope, string endpoint);

    [LoggerMessage(EventId = 318, Level = LogLevel.Warning,
        Message = "Service clients without Scopes may write, read and erase: {Clients} (give each only what it needs: ServiceAuthentication:Clients:<i>:Scopes write, read, erase)")]
    public static partial void ServiceClientsWithAllScopes(ILogger logger, string clients);

    [LoggerMessage(EventId = 309, Level = LogLevel.Warning,
        Message = "Replay cache full for issuer {Issuer} ({Quota} unexpired jti values): its new tokens are refused until old ones expire; other issuers are not affected")]
    public static partial void ReplayCacheFull(ILogger logger, string issuer, int quota);

    [LoggerMessage(EventId = 319, Level = LogLevel.Warning,
        Message = "CDS client issuer {Issuer} has no FhirServers and CdsHooks:Fhir:AllowedServers is empty: its calls may make this service fetch from any public server they name as fhirServer (set CdsHooks:Authentication:Issuers:<i>:FhirServers to its EHR's FHIR base URLs)")]
    public static partial void IssuerMayNameAnyFhirServer(ILogger logger, string issuer);

    [LoggerMessage(EventId = 320, Level = LogLevel.Warning,
        Message = "CDS client tokens cannot be checked for replay: the timeline store ({Provider}) did not record a jti ({Failure}); such calls are answered 503 until it does; {Suppressed} more since the last line (one line per {Seconds} s)")]
    public static partial void ReplayStoreUnavailable(ILogger logger, string provider, string failure, long suppressed, double seconds);

    [LoggerMessage(EventId = 321, Level = LogLevel.Warning,
        Message = "CDS client token ids (jti) are remembered by this replica only (CdsHooks:Authentication:ReplayStore = memory) while the timeline store is PostgreSQL, which suggests several replicas: a captured token is accepted once by each of them. Set CdsHooks:Authentication:ReplayStore to timeline-store")]
    public static partial void ReplayCachePerReplica(ILogger logger);

    [LoggerMessage(EventId = 322, Level = LogLevel.Warning,
        Message = "Expired CDS client token ids could not be removed from the timeline store ({Provider}: {Failure}); retrying at the next sweep")]
    public static partial void ReplaySweepFailed(ILogger logger, string provider, string failure);
}
