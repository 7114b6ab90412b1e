using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>
/// What every test server shares: a slim builder in the Testing environment with in-memory settings (the test's
/// defaults, then its overrides) and every log line captured; start and stop bounded in time; the bound ports.
/// </summary>
internal static class TestHost
{
    public static (WebApplicationBuilder Builder, CapturingLoggerProvider Logs) CreateBuilder(
        string contentRoot, IDictionary<string, string?> defaults, IDictionary<string, string?>? overrides)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing", ContentRootPath = contentRoot });
        var configuration = new Dictionary<string, string?>(defaults);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
            configuration[key] = value;
        builder.Configuration.AddInMemoryCollection(configuration);
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        return (builder, logs);
    }

    public static async Task StartAsync(WebApplication app, TimeSpan timeout)
    {
        using var startTimeout = new CancellationTokenSource(timeout);
        await app.StartAsync(startTimeout.Token);
    }

    /// <summary>The ports Kestrel bound (a setting of port 0 picks a free one).</summary>
    public static IReadOnlyList<int> Ports(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a).Port).ToArray();

    public static async ValueTask StopAsync(WebApplication app, TimeSpan timeout)
    {
        using var stopTimeout = new CancellationTokenSource(timeout);
        try
        {
            await app.StopAsync(stopTimeout.Token);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
