using FhirRisk.Server.Http;
using FhirRisk.Server.Metrics;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.FileProviders;

namespace FhirRisk.Server;

/// <summary>What operators see (docs/operations.md): <c>/metrics</c> with the request metrics around every request, and
/// in local-demo mode a ready-to-paste CDS Hooks call once started. One Add and one Map (STYLE: eShop).</summary>
internal static class FhirRiskOperationsExtensions
{
    /// <summary>The environment prefix of the service's settings: <c>FHIRRISK_Model__Directory</c> is <c>Model:Directory</c>.</summary>
    public const string EnvironmentPrefix = "FHIRRISK_";

    /// <summary>True for what a bad setting throws when the host starts: a failed options validation (the message names
    /// the key and the range), or a value the configuration binder cannot convert (an unknown enum name).</summary>
    public static bool IsSettingsError(Exception exception) =>
        exception is Microsoft.Extensions.Options.OptionsValidationException
        || (exception is InvalidOperationException && exception.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal));

    /// <summary>
    /// Where settings come from, each overriding the one before: the built-in defaults below, the <c>appsettings.json</c>
    /// shipped beside the assembly (<see cref="ShippedSettings"/>), the content root's <c>appsettings.json</c>,
    /// <c>FHIRRISK_*</c> environment variables, then the command line (<c>--Model:Directory=…</c>). The slim builder
    /// already reads the command line, but before the prefixed variables added here, so it is added once more to keep an
    /// explicit argument the winner.
    /// </summary>
    public static WebApplicationBuilder AddFhirRiskConfiguration(this WebApplicationBuilder builder, string[] args)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(args);
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = BuiltInDefaults });
        builder.Configuration.Sources.Insert(1, ShippedSettings());
        builder.Configuration.AddEnvironmentVariables(EnvironmentPrefix);
        builder.Configuration.AddCommandLine(args);
        return builder;
    }

    /// <summary>
    /// The <c>appsettings.json</c> that ships beside the server's assembly, read beneath the content root's: a published
    /// build started from another folder (a service manager's working directory, a wrapper script) would otherwise lose
    /// every shipped setting — the per-task alert thresholds among them, so a 7 % mortality risk read "low" against the
    /// generic 10 % — without a word. Where the working directory is the build's folder, the same file is read twice.
    /// </summary>
    internal static JsonConfigurationSource ShippedSettings() => new()
    {
        Path = "appsettings.json",
        Optional = true,
        ReloadOnChange = false,
        FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
    };

    /// <summary>
    /// Settings that must hold even where <c>appsettings.json</c> is not found: it is read from the content root, which is
    /// the working directory, so a published build started from elsewhere runs without it. ASP.NET Core's hosting and
    /// routing log every request's full URL, query string included, at Information; such URLs can name a patient
    /// (STYLE 8; review phi.md #8). Any later source can still lower the level for a debugging session.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string?> BuiltInDefaults = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
    };

    public static WebApplicationBuilder AddFhirRiskMetrics(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(_ =>
        {
            var registry = new MetricRegistry();
            RuntimeMetrics.AddTo(registry);
            return registry;
        });
        builder.Services.AddSingleton<ServiceMetrics>();
        return builder;
    }

    /// <summary>Call first among the Map calls: the request metrics then time every request, refusals included.</summary>
    public static WebApplication MapFhirRiskOperations(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseListenerBoundaries();
        app.MapMetrics();
        LocalDemoCurl.LogWhenStarted(app);
        return app;
    }
}
