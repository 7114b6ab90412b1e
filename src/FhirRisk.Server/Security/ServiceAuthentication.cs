using System.Security.Cryptography;
using System.Text;
using FhirRisk.Core;
using FhirRisk.Fhir;
using FhirRisk.Server.Grpc;
using FhirRisk.Server.Grpc.Internal;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Security;

/// <summary>How the service's own clients (FHIR servers that push, analytics pipelines on gRPC) prove who they are.</summary>
internal enum ServiceAuthenticationMode
{
    /// <summary>Every call carries <c>Authorization: Bearer &lt;token&gt;</c>, a token whose SHA-256 is configured (the default).</summary>
    Tokens,

    /// <summary>No authentication: only for a demo on this machine. Must be set explicitly; logs a warning at start and
    /// is refused unless the HTTP and gRPC listeners are bound to loopback addresses.</summary>
    LocalDemo,
}

/// <summary>
/// The <c>ServiceAuthentication</c> section: who may call FHIR push (<c>/fhir</c>, <c>/fhir/$import</c>) and the gRPC
/// RiskService. Both read and write stored patient data, so neither is open: a client is a name and the SHA-256 of its
/// bearer token (the token itself is never configured, so a settings dump does not give it away).
/// </summary>
internal sealed class ServiceAuthenticationOptions
{
    public const string Section = "ServiceAuthentication";

    public ServiceAuthenticationMode Mode { get; set; } = ServiceAuthenticationMode.Tokens;

    public List<ServiceClientOptions> Clients { get; set; } = [];
}

/// <summary>One client of FHIR push and gRPC.</summary>
internal sealed class ServiceClientOptions
{
    /// <summary>Names the client in logs (never the token).</summary>
    public string Name { get; set; } = "";

    /// <summary>The SHA-256 of the client's bearer token, 64 hex digits (<c>printf %s "$token" | sha256sum</c>).</summary>
    public string TokenSha256 { get; set; } = "";

    /// <summary>What the client may do (<see cref="ServiceScopes"/>): <c>write</c>, <c>read</c>, <c>erase</c>. Empty means
    /// all three, as before scopes existed, with warning 317 at start naming the client.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>The scopes in force: the configured ones, or all when none is configured.</summary>
    public IReadOnlySet<string> EffectiveScopes => Scopes.Count == 0 ? ServiceScopes.All : new HashSet<string>(Scopes, StringComparer.Ordinal);
}

/// <summary>
/// What a service client may do (security review s12 #8: every client could do everything, so a FHIR server's push token
/// read coded histories over gRPC and an analytics pipeline's token could overwrite or erase patients).
/// </summary>
internal static class ServiceScopes
{
    /// <summary>Store patient data: FHIR push (<c>POST /fhir</c>, <c>POST /fhir/$import</c>) and gRPC <c>Ingest</c>.</summary>
    public const string Write = "write";

    /// <summary>Read stored patients through the model: gRPC <c>Predict</c>, <c>PredictStream</c>, <c>Explain</c>,
    /// <c>Embed</c> and <c>Generate</c>.</summary>
    public const string Read = "read";

    /// <summary>Erase a stored patient: <c>DELETE /fhir/Patient/{id}</c>.</summary>
    public const string Erase = "erase";

    public static readonly IReadOnlySet<string> All = new HashSet<string>([Write, Read, Erase], StringComparer.Ordinal);

    private const string IngestMethod = "/fhirrisk.v1.RiskService/Ingest";

    private const string HealthService = "/grpc.health.v1.Health/";

    /// <summary>The scope a RiskService method needs.</summary>
    public static string ForGrpcMethod(string path) => path == IngestMethod ? Write : Read;

    /// <summary>The scope a call of <paramref name="endpoint"/> needs: its <see cref="ServiceTokenRequired"/>, a gRPC
    /// method's (<see cref="ForGrpcMethod"/>); null for the rest (CDS Hooks, health, metrics, the gRPC health service).</summary>
    public static string? Required(Endpoint? endpoint)
    {
        if (endpoint?.Metadata.GetMetadata<ServiceTokenRequired>() is { } required)
            return required.Scope;
        return endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>() is { } method && !method.Path.StartsWith(HealthService, StringComparison.Ordinal)
            ? ForGrpcMethod(method.Path)
            : null;
    }
}

internal sealed class ServiceAuthenticationOptionsValidator(IConfiguration configuration) : IValidateOptions<ServiceAuthenticationOptions>
{
    public ValidateOptionsResult Validate(string? name, ServiceAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Mode == ServiceAuthenticationMode.LocalDemo)
        {
            var http = configuration["Http:Enabled"] is { } enabled && bool.TryParse(enabled, out var on) && !on ? null : configuration["Http:Host"] ?? "127.0.0.1";
            var grpc = configuration["Grpc:Host"] ?? "127.0.0.1";
            if ((http is not null && !Http.HttpListenerOptions.IsLoopback(http)) || !Http.HttpListenerOptions.IsLoopback(grpc))
                failures.Add("ServiceAuthentication:Mode LocalDemo serves FHIR push and gRPC without authentication; bind Http:Host and Grpc:Host to 127.0.0.1 or use Mode Tokens.");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Clients.Count; i++)
        {
            var client = options.Clients[i];
            if (client.Name.Length == 0 || !names.Add(client.Name))
                failures.Add($"ServiceAuthentication:Clients:{i}:Name must be set and unique.");
            if (client.TokenSha256.Length != 64 || !client.TokenSha256.All(Uri.IsHexDigit))
                failures.Add($"ServiceAuthentication:Clients:{i}:TokenSha256 must be the token's SHA-256 as 64 hex digits.");
            foreach (var scope in client.Scopes.Where(s => !ServiceScopes.All.Contains(s)))
                failures.Add($"ServiceAuthentication:Clients:{i}:Scopes '{scope}' is not a scope: write, read or erase.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

}

/// <summary>Marks an endpoint that only a configured client with <see cref="Scope"/> may call (FHIR push and erasure);
/// RiskService's gRPC methods are recognised by their <see cref="GrpcMethodMetadata"/>.</summary>
internal sealed class ServiceTokenRequired
{
    public static readonly ServiceTokenRequired ToWrite = new(ServiceScopes.Write);

    public static readonly ServiceTokenRequired ToErase = new(ServiceScopes.Erase);

    private ServiceTokenRequired(string scope) => Scope = scope;

    public string Scope { get; }
}

/// <summary>
/// Checks the bearer token of every call to FHIR push and to gRPC (except the standard health service, which
/// orchestrators probe without credentials). A refused push is 401 with <c>WWW-Authenticate: Bearer</c> and an
/// OperationOutcome; a refused gRPC call ends UNAUTHENTICATED. Tokens are compared by their SHA-256, in constant time.
/// </summary>
internal sealed class ServiceAuthenticationMiddleware(
    RequestDelegate next, ServiceAuthenticationOptions options, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("FhirRisk.Server.Security");
    private readonly (string Name, byte[] Hash, IReadOnlySet<string> Scopes)[] _clients =
        [.. options.Clients.Select(c => (c.Name, Convert.FromHexString(c.TokenSha256), c.EffectiveScopes))];

    public async Task InvokeAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var endpoint = http.GetEndpoint();
        var method = endpoint?.Metadata.GetMetadata<GrpcMethodMetadata>();
        var scope = ServiceScopes.Required(endpoint);
        // A request to a gRPC path that is no gRPC request is answered 415 here, in every mode, as the call's own checks
        // would: a non-gRPC client must not read "200" with a gRPC status (review s21-grpc L3), and it goes no further,
        // into the ingest limiter's queue say (review s21-fixes M2; in LocalDemo mode too, s21-final L2).
        if (method is not null && !GrpcProtocol.IsGrpcContentType(http.Request.ContentType))
        {
            await GrpcHttpChecks.AcceptAsync(http, _logger, unknownPath: method.Path == GrpcMethodMetadata.Unimplemented);
            return;
        }
        if (scope is null || options.Mode == ServiceAuthenticationMode.LocalDemo)
        {
            await next(http);
            return;
        }
        var where = method?.Path ?? endpoint?.DisplayName ?? "";
        if (Client(http.Request) is { } client)
        {
            if (client.Scopes.Contains(scope))
            {
                await next(http);
                return;
            }
            await RefuseScopeAsync(http, method, client.Name, scope, where);
            return;
        }
        SecurityLog.ServiceTokenRejected(_logger, where);
        if (method is not null)
        {
            await GrpcServerCall.RefuseAsync(http, method.Path, new GrpcStatus(GrpcStatusCode.Unauthenticated,
                "send 'authorization: Bearer <token>' with a token configured in ServiceAuthentication:Clients"));
            return;
        }
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.Headers.WWWAuthenticate = "Bearer";
        http.Response.ContentType = "application/fhir+json";
        await http.Response.WriteAsync(OperationOutcomeWriter.ToJson([Issue.Error(FhirPush.FhirPushIssueCodes.Unauthenticated, "",
            "send 'Authorization: Bearer <token>' with a token configured in ServiceAuthentication:Clients")], FhirPush.FhirPushIssueCodes.IssueType), http.RequestAborted);
    }

    /// <summary>A known client without the scope the call needs: 403 Forbidden with an OperationOutcome (PUSH017), or
    /// PERMISSION_DENIED; logged with the client's name and the endpoint (never a patient id: erasure logs its name).</summary>
    private async Task RefuseScopeAsync(HttpContext http, GrpcMethodMetadata? method, string client, string scope, string where)
    {
        SecurityLog.ServiceScopeRefused(_logger, client, scope, where);
        var message = $"client '{client}' may not {scope}: add '{scope}' to its ServiceAuthentication:Clients Scopes, or call with a client that has it";
        if (method is not null)
        {
            await GrpcServerCall.RefuseAsync(http, method.Path, new GrpcStatus(GrpcStatusCode.PermissionDenied, message));
            return;
        }
        http.Response.StatusCode = StatusCodes.Status403Forbidden;
        http.Response.ContentType = "application/fhir+json";
        await http.Response.WriteAsync(OperationOutcomeWriter.ToJson([Issue.Error(FhirPush.FhirPushIssueCodes.Forbidden, "", message)], FhirPush.FhirPushIssueCodes.IssueType), http.RequestAborted);
    }

    /// <summary>The client whose token the request carries, or null.</summary>
    private (string Name, IReadOnlySet<string> Scopes)? Client(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) || header.Length == Bearer.Length)
            return null;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(header[Bearer.Length..].Trim()));
        (string, IReadOnlySet<string>)? found = null;
        foreach (var (name, expected, scopes) in _clients)
        {
            // Every configured hash is compared, so the time taken says nothing about which one matched.
            if (CryptographicOperations.FixedTimeEquals(hash, expected))
                found = (name, scopes);
        }
        return found;
    }
}
