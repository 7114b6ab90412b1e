using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>The host under the tests' fake peers (a FHIR server, a JWK Set endpoint): Kestrel on 127.0.0.1 at a free
/// port, no logging, every request answered by one handler; started, read and stopped as <see cref="TestHost"/> does.</summary>
internal static class LoopbackHttpApp
{
    public static async Task<(WebApplication App, int Port)> StartAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(handler);
        await TestHost.StartAsync(app, TimeSpan.FromSeconds(30));
        return (app, TestHost.Ports(app).Single());
    }

    public static ValueTask StopAsync(WebApplication app) => TestHost.StopAsync(app, TimeSpan.FromSeconds(10));
}
