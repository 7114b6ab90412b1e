using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Tests.CdsHooks;

internal enum FakeFhirMode
{
    Ok,
    Error500,
    Slow,
}

/// <summary>A FHIR server on 127.0.0.1 that answers reads with a Patient and searches with a one-entry searchset Bundle
/// (or fails, or hangs); records paths and Authorization headers.</summary>
internal sealed class FakeFhirServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeFhirServer(WebApplication app, int port) => (_app, Port) = (app, port);

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}/fhir";

    public FakeFhirMode Mode { get; set; }

    public int Hits => Requests.Count;

    public ConcurrentQueue<(string PathAndQuery, string Authorization)> Requests { get; } = new();

    public static async Task<FakeFhirServer> StartAsync(FakeFhirMode mode = FakeFhirMode.Ok)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeFhirServer? self = null;
        app.Run(async http =>
        {
            self!.Requests.Enqueue((http.Request.Path + http.Request.QueryString, http.Request.Headers.Authorization.ToString()));
            switch (self.Mode)
            {
                case FakeFhirMode.Error500:
                    http.Response.StatusCode = 500;
                    return;
                case FakeFhirMode.Slow:
                    await Task.Delay(TimeSpan.FromSeconds(30), http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                    return;
            }
            http.Response.ContentType = "application/fhir+json";
            var path = http.Request.Path.Value ?? "";
            var type = path.Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) ?? "";
            await http.Response.WriteAsync(path.Count(c => c == '/') >= 3
                ? $$"""{"resourceType":"{{type}}","id":"p1","gender":"female","birthDate":"1950-01-01"}"""
                : """{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":""" + "\"" + type + "\"" + ""","id":"x1","subject":{"reference":"Patient/p1"}}}]}""");
        });
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
        self = new FakeFhirServer(app, port) { Mode = mode };
        return self;
    }

    /// <summary>A base URL where nothing listens (a port just released).</summary>
    public static string DownUrl()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}/fhir";
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
