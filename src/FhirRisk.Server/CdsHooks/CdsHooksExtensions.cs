using System.Net;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.CdsHooks;

/// <summary>The CDS Hooks surface (DESIGN §7): one Add and one Map for Program.cs and the tests.</summary>
internal static class CdsHooksExtensions
{
    /// <summary>Options (validated at start), the HTTP/1.1 listener, FHIR fetching (HttpClientFactory + Polly),
    /// client JWT authentication, cards, feedback and CORS. An <see cref="IPatientRiskService"/>,
    /// <see cref="ICardContributorSource"/> or <see cref="IFeedbackStore"/> registered before this call is kept.</summary>
    public static IServiceCollection AddCdsHooks(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<CdsHooksOptions>().Bind(configuration.GetSection(CdsHooksOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CdsHooksOptions>, CdsHooksOptionsValidator>();
        services.AddSingleton(p => p.GetRequiredService<IOptions<CdsHooksOptions>>().Value);
        services.AddSingleton(p => p.GetRequiredService<CdsHooksOptions>().Authentication);
        services.AddSingleton(p => p.GetRequiredService<CdsHooksOptions>().Fhir);
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<CdsHooksOptions>>((kestrel, cds) => Listen(kestrel, cds.Value));
        services.TryAddSingleton(TimeProvider.System);

        // Outbound FHIR reads. The factory's own loggers are removed: they would log URLs, which hold patient ids.
        services.AddSingleton(p => new FhirResiliencePipelines(p.GetRequiredService<FhirFetchOptions>(),
            p.GetRequiredService<TimeProvider>(), p.GetRequiredService<ILoggerFactory>().CreateLogger("FhirRisk.Server.CdsHooks.Fhir")));
        services.AddSingleton(p => new FhirServerPolicy(p.GetRequiredService<CdsHooksOptions>()));
        services.AddSingleton(p => new FhirSearchMemory(p.GetRequiredService<TimeProvider>()));
        services.AddSingleton(p => new FhirServerSlots(p.GetRequiredService<FhirFetchOptions>().MaxRequestsPerServer));
        // No redirects (a FHIR server that redirects its API calls is named by the URL it redirects to), and connections
        // only to public addresses unless the operator named the authority (security review: SSRF through fhirServer).
        services.AddHttpClient<FhirServerClient>((p, http) =>
                http.Timeout = p.GetRequiredService<FhirFetchOptions>().TotalTimeout + TimeSpan.FromSeconds(5))
            .ConfigurePrimaryHttpMessageHandler(p => FhirAddressGuard.CreateHandler(p.GetRequiredService<FhirServerPolicy>()))
            .RemoveAllLoggers();
        services.AddTransient<PrefetchGatherer>();
        services.AddSingleton(p =>
        {
            var options = p.GetRequiredService<CdsHooksOptions>();
            var time = p.GetRequiredService<TimeProvider>();
            var logger = p.GetRequiredService<ILoggerFactory>().CreateLogger("FhirRisk.Server.CdsHooks");
            return new CdsCallLimits(
                new Http.WorkLimiter("CDS Hooks calls", "CdsHooks:MaxConcurrentCalls", options.MaxConcurrentCalls, options.CallQueueTimeout, time, logger),
                new BytesInFlight(options.AutoBytesInFlight, time, logger));
        });

        // Client authentication.
        // No redirects: only the allowlisted jku itself is fetched (security review s12 #6).
        services.AddHttpClient(JwksCache.HttpClientName, http =>
            {
                http.Timeout = TimeSpan.FromSeconds(5);
                http.MaxResponseContentBufferSize = JwksCache.MaxResponseBytes;
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .RemoveAllLoggers();
        services.AddSingleton(p => new JwksCache(p.GetRequiredService<IHttpClientFactory>(), p.GetRequiredService<TimeProvider>(),
            p.GetRequiredService<CdsAuthenticationOptions>().JwksCacheDuration, p.GetRequiredService<ILoggerFactory>().CreateLogger("FhirRisk.Server.Security")));
        services.AddSingleton(CreateReplayGuard);
        services.AddHostedService<JtiReplaySweeper>();
        services.AddSingleton<CdsJwtValidator>();
        services.AddSingleton<CdsClientAuthenticationFilter>();

        services.TryAddSingleton<IPatientRiskService, UnconfiguredPatientRiskService>();
        services.TryAddSingleton<ICardContributorSource, NoCardContributors>();
        services.TryAddSingleton<IFeedbackStore>(p => p.GetRequiredService<CdsHooksOptions>().FeedbackPath is { Length: > 0 } path
            ? new JsonlFeedbackStore(path)
            : new InMemoryFeedbackStore());
        services.AddSingleton<RiskCardFactory>();
        services.AddSingleton(p => new CardUuids(CardUuids.KeyOf(p.GetRequiredService<CdsHooksOptions>().CardUuidKey)));
        services.AddTransient<CdsHookHandler>();

        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<CdsHooksOptions>>((cors, cds) => cors.AddPolicy(CdsHooksEndpoints.CorsPolicy, policy => CdsCors.Configure(policy, cds.Value)));
        return services;
    }

    /// <summary>CORS, then the endpoints; warns when authentication is off or cannot succeed.</summary>
    public static WebApplication MapCdsHooks(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<CdsHooksOptions>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FhirRisk.Server.Security");
        if (options.Authentication.Mode == CdsAuthenticationMode.LocalDemo)
            SecurityLog.LocalDemoMode(logger);
        else if (!app.Services.GetRequiredService<CdsJwtValidator>().HasIssuers)
            SecurityLog.NoTrustedIssuers(logger);
        else
        {
            if (string.IsNullOrWhiteSpace(options.CardUuidKey))
                CdsHooksLog.CardUuidKeyPerProcess(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FhirRisk.Server.CdsHooks"));
            // Memory stays the default (a deployment keeps its behaviour), but a PostgreSQL store means replicas.
            if (!options.Authentication.UsesTimelineStore
                && app.Services.GetService<IOptions<Timeline.TimelineStoreOptions>>()?.Value.IsPostgres == true)
                SecurityLog.ReplayCachePerReplica(logger);
            // Not refused at start (deployments from before FhirServers keep starting), but said once per issuer.
            if (options.Fhir.AllowedServers.Count == 0)
            {
                foreach (var issuer in options.Authentication.Issuers.Where(i => i.FhirServers.Count == 0))
                    SecurityLog.IssuerMayNameAnyFhirServer(logger, LogText.Of(issuer.Issuer));
            }
        }
        app.UseCors();
        app.MapCdsHooksEndpoints().WithMetadata(new Http.ServedOn(options.Port is null ? Http.ListenerKind.Http : Http.ListenerKind.CdsHooks));
        return app;
    }

    /// <summary>Where accepted <c>jti</c> values are remembered (<c>CdsHooks:Authentication:ReplayStore</c>, validated
    /// at start): this process's memory, or the timeline store that the replicas share.</summary>
    private static IJtiReplayGuard CreateReplayGuard(IServiceProvider services)
    {
        var options = services.GetRequiredService<CdsAuthenticationOptions>();
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("FhirRisk.Server.Security");
        if (!options.UsesTimelineStore)
            return new JtiReplayCache(time, options.ReplayCacheCapacity, options.Issuers.Count, logger);
        var store = services.GetService<Timeline.TimelineStoreState>()
            ?? throw new InvalidOperationException("CdsHooks:Authentication:ReplayStore timeline-store needs the timeline store, which this host does not compose.");
        return new TimelineJtiReplayGuard(store, time, options.ReplayCacheCapacity, options.Issuers.Count, logger);
    }

    /// <summary>HTTP/1.1 in cleartext: EHRs and browsers speak it; TLS (which the spec requires for production data)
    /// is terminated in front of the service (docs/cds-hooks.md).</summary>
    private static void Listen(KestrelServerOptions kestrel, CdsHooksOptions options)
    {
        if (options.Port is not { } port)
            return;
        static void Configure(ListenOptions listen)
        {
            listen.Protocols = HttpProtocols.Http1;
            Http.Listeners.Tag(listen, Http.ListenerKind.CdsHooks);
        }
        if (options.Host == "localhost")
            kestrel.ListenLocalhost(port, Configure);
        else
            kestrel.Listen(IPAddress.Parse(options.Host), port, Configure);
    }
}
