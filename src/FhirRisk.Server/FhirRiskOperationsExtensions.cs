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

    /// <summary>
    /// The one line that explains why the server could not start (docs/operations.md: one line on stderr and exit 1, not
    /// an abort with a stack trace), or null for an unexpected fault, which keeps its trace: a failed options validation
    /// (the message names the key and the range); a value the configuration binder cannot convert (an unknown enum
    /// name); a settings file that is not valid JSON; a listener port that cannot be bound (in use, or not ours to use).
    /// <paramref name="configuration"/>, once read, lets a port in use name its listener (<see cref="ListenerPortInUse"/>).
    /// </summary>
    public static string? DescribeStartupFailure(Exception exception, IConfiguration? configuration = null) => exception switch
    {
        Microsoft.Extensions.Options.OptionsValidationException => $"invalid settings: {OneLine(exception.Message)}",
        InvalidOperationException when exception.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) =>
            $"invalid settings: {OneLine(exception.Message)}",
        InvalidDataException when exception.Message.StartsWith("Failed to load configuration from file", StringComparison.Ordinal) =>
            $"invalid settings file: {OneLine(string.Join(" ", Chain(exception).Select(e => e.Message)))}",
        IOException inUse when ListenerPortInUse.Is(inUse) => ListenerPortInUse.Describe(inUse, configuration),
        IOException when exception.Message.StartsWith("Failed to bind to address", StringComparison.Ordinal) =>
            $"cannot listen: {OneLine(exception.Message)} Free the port, or choose another with Http:Port, Grpc:Port or CdsHooks:Port.",
        AggregateException aggregate when aggregate.InnerExceptions.Count > 0
            && aggregate.InnerExceptions.Select(e => DescribeStartupFailure(e, configuration)).ToList() is var lines && lines.All(l => l is not null) =>
            string.Join(" ", lines.Distinct(StringComparer.Ordinal)),
        _ => null,
    };

    private static string OneLine(string? text) => LogText.Of(text, maxLength: 1000);

    /// <summary>The exception and its inner ones: a settings file's syntax error (line and byte) is two levels down.</summary>
    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            yield return e;
    }

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
