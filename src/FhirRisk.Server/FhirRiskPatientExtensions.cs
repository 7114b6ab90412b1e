using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.FhirPush;
using FhirRisk.Server.Health;
using FhirRisk.Server.Http;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Risk;
using FhirRisk.Server.Shutdown;
using FhirRisk.Server.Timeline;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server;

/// <summary>
/// The HTTP listener with its probes, the patient timeline store with FHIR push, and the prediction path (model,
/// <see cref="IPatientRiskService"/>, the RiskService backend): one Add and one Map each (STYLE: eShop).
/// </summary>
internal static class FhirRiskPatientExtensions
{
    /// <summary>The HTTP listener (<c>Http</c> section, TLS when configured), <c>/health/live</c>, <c>/health/ready</c> and
    /// the graceful shutdown (<c>Shutdown</c> section): the drain of in-flight work before the listeners close. A port in
    /// use is reported by Program.cs alone, not also by the host with a stack trace (<see cref="PortInUseLogFilter"/>).</summary>
    public static WebApplicationBuilder AddFhirRiskHttp(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<HttpListenerOptions>().Bind(builder.Configuration.GetSection(HttpListenerOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HttpListenerOptions>, HttpListenerOptionsValidator>();
        builder.Services.AddSingleton<IValidateOptions<HttpListenerOptions>, ListenerPortsValidator>();
        PortInUseLogFilter.AddTo(builder.Services);
        builder.Services.AddSingleton<HttpListenerBinding>();
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<HttpListenerOptions>, HttpListenerBinding>((kestrel, http, binding) => binding.Configure(kestrel, http.Value));
        builder.Services.AddSingleton<ReadinessCheck>();
        builder.Services.AddHostedService<ReadinessMonitor>();
        builder.Services.AddOptions<DrainOptions>().Bind(builder.Configuration.GetSection(DrainOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DrainOptions>, DrainOptionsValidator>();
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<DrainOptions>>((host, drain) => host.ShutdownTimeout = drain.Value.ShutdownTimeout);
        builder.Services.AddSingleton<RequestDrain>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<RequestDrain>());
        return builder;
    }

    /// <summary>The timeline store (<c>TimelineStore</c> section), migrated at start, and FHIR push (<c>FhirPush</c>).</summary>
    public static WebApplicationBuilder AddFhirRiskTimelineStore(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<TimelineStoreOptions>().Bind(builder.Configuration.GetSection(TimelineStoreOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TimelineStoreOptions>, TimelineStoreOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ITimelineStore>(provider => CreateStore(
            provider.GetRequiredService<IOptions<TimelineStoreOptions>>().Value,
            provider.GetRequiredService<IHostEnvironment>(),
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<TimelineStoreFailureLog>();
        services.AddSingleton<TimelineStoreState>();
        services.AddHostedService<TimelineStoreMigrator>();
        services.AddHostedService<TimelineRetentionSweeper>();
        services.AddOptions<FhirPushOptions>().Bind(builder.Configuration.GetSection(FhirPushOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FhirPushOptions>, FhirPushOptionsValidator>();
        services.AddSingleton(provider => provider.GetRequiredService<IOptions<FhirPushOptions>>().Value);
        services.AddSingleton<FhirPushService>();
        services.AddSingleton<IngestLimiter>();
        return builder;
    }

    /// <summary>The model (<c>Model</c> section, loaded in the background), <see cref="IPatientRiskService"/>, the cards'
    /// contributors (kept by AddCdsHooks) and the RiskService backend (unless one was registered before).</summary>
    public static WebApplicationBuilder AddFhirRiskPredictions(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<RiskModelOptions>().Bind(builder.Configuration.GetSection(RiskModelOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RiskModelOptions>, RiskModelOptionsValidator>();
        services.AddSingleton<RiskModel>();
        services.AddSingleton<RolloutAdmission>();
        services.AddHostedService<RiskModelLoader>();
        services.AddSingleton(provider => new FhirReading(
            Fhir.SiteTimeZone.TryFind(provider.GetRequiredService<IOptions<RiskModelOptions>>().Value.TimeZone, out var zone) ? zone : TimeZoneInfo.Utc));
        services.AddSingleton<PatientTimelineBuilder>();
        services.AddSingleton<TimelinePredictor>();
        services.AddSingleton<IPatientRiskService, PatientRiskService>();
        services.AddSingleton<ICardContributorSource, ExplainedCardContributors>();
        services.AddSingleton<PatientInputReader>();
        services.AddSingleton<RiskAnalysisBackend>();
        services.TryAddSingleton<IRiskServiceBackend, PatientRiskServiceBackend>();
        return builder;
    }

    /// <summary>The drain gate for every work request, the limit on pushes, then <c>POST /fhir</c>, <c>POST /fhir/$import</c>,
    /// <c>/health/live</c>, <c>/health/ready</c>.</summary>
    public static WebApplication MapFhirRiskHttp(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<DrainMiddleware>();
        app.UseMiddleware<IngestLimitMiddleware>();
        var http = app.MapGroup("").WithMetadata(new ServedOn(ListenerKind.Http));
        http.MapHealthProbes();
        http.MapFhirPush();
        return app;
    }

    private static ITimelineStore CreateStore(TimelineStoreOptions options, IHostEnvironment environment, TimeProvider time) =>
        options.IsPostgres
            ? new PostgresTimelineStore(options.ConnectionString!, options.BusyTimeoutSeconds, time)
            : new SqliteTimelineStore(Path.GetFullPath(options.SqlitePath, environment.ContentRootPath), options.BusyTimeoutSeconds, time);
}
