using System.Collections.Concurrent;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FhirRisk.Server.Tests.Security;

/// <summary>A CDS client's JWK Set endpoint on 127.0.0.1: each path answers what <see cref="Routes"/> says (404 when
/// absent), after <see cref="Delay"/>; counts requests per path.</summary>
internal sealed class FakeJwksServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeJwksServer(WebApplication app, int port) => (_app, Port) = (app, port);

    public int Port { get; }

    public ConcurrentDictionary<string, (int Status, string Body, string? Location)> Routes { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, int> Hits { get; } = new(StringComparer.Ordinal);

    public TimeSpan Delay { get; set; }

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    public int HitsOn(string path) => Hits.GetValueOrDefault(path);

    public static async Task<FakeJwksServer> StartAsync()
    {
        FakeJwksServer? self = null;
        var (app, port) = await LoopbackHttpApp.StartAsync(async http =>
        {
            var path = http.Request.Path.Value ?? "";
            self!.Hits.AddOrUpdate(path, 1, (_, n) => n + 1);
            await Task.Delay(self.Delay, http.RequestAborted);
            if (!self.Routes.TryGetValue(path, out var route))
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            http.Response.StatusCode = route.Status;
            if (route.Location is not null)
                http.Response.Headers.Location = self.Url(route.Location);
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(route.Body, http.RequestAborted);
        });
        self = new FakeJwksServer(app, port);
        return self;
    }

    public ValueTask DisposeAsync() => LoopbackHttpApp.StopAsync(_app);
}
