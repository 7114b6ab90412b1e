using System.Net.Http.Headers;
using System.Text;
using FhirRisk.Inference.Tests;
using FhirRisk.Server.CdsHooks;
using FhirRisk.Server.Http;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Security;
using FhirRisk.Server.Timeline;
using FhirRisk.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>
/// The whole server as Program.cs composes it, on Kestrel at 127.0.0.1 (free ports for HTTP and gRPC), with a SQLite
/// store in a temporary folder and the tiny model of the Inference tests (few, short rollouts), every log line captured.
/// CDS Hooks is composed on request; services registered by <c>configure</c> replace the composed ones.
/// </summary>
internal sealed class TestFhirRiskServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly WebApplication _app;
    private readonly TempDirectory _folder;
    private readonly CancellationTokenSource _stopTimeout = new(Timeout);
    private Task? _stopping;

    private TestFhirRiskServer(WebApplication app, TempDirectory folder, CapturingLoggerProvider logs, int httpPort, int grpcPort)
    {
        (_app, _folder, Logs, HttpPort, GrpcPort) = (app, folder, logs, httpPort, grpcPort);
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = Timeout };
    }

    public int HttpPort { get; }

    public HttpClient Http { get; }

    public CapturingLoggerProvider Logs { get; }

    public int GrpcPort { get; }

    public string GrpcAddress => $"127.0.0.1:{GrpcPort}";

    public ITimelineStore Store => _app.Services.GetRequiredService<ITimelineStore>();

    public IServiceProvider Services => _app.Services;

    public IPatientRiskService Patients => _app.Services.GetRequiredService<IPatientRiskService>();

    public static async Task<TestFhirRiskServer> StartAsync(IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null, bool cdsHooks = false)
    {
        var folder = new TempDirectory("fhirrisk-server");
        try
        {
            return await StartInAsync(folder, settings, configure, cdsHooks);
        }
        catch
        {
            // A host that never built (settings refused while it was assembled) leaves its folder behind otherwise.
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Dispose();
            throw;
        }
    }

    private static async Task<TestFhirRiskServer> StartInAsync(TempDirectory folder, IDictionary<string, string?>? settings,
        Action<IServiceCollection>? configure, bool cdsHooks)
    {
        var (builder, logs) = TestHost.CreateBuilder(folder.Path, new Dictionary<string, string?>
        {
            ["Grpc:Host"] = "127.0.0.1",
            ["Grpc:Port"] = "0",
            ["Http:Host"] = "127.0.0.1",
            ["Http:Port"] = "0",
            ["TimelineStore:SqlitePath"] = folder.File("store", "timeline.db"),
            ["Model:Directory"] = TinyModel.Directory,
            ["Model:Threads"] = "1",
            ["Model:MinRollouts"] = "4",
            ["Model:MaxRollouts"] = "4",
            ["Model:MaxNewTokens"] = "64",
            ["Logging:LogLevel:Default"] = "Debug",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            // Push and gRPC without client tokens, as on a developer's machine; ServiceAuthenticationTests turn it on.
            ["ServiceAuthentication:Mode"] = "LocalDemo",
        }, settings);
        builder.AddFhirRiskHttp();
        builder.AddFhirRiskMetrics();
        builder.AddFhirRiskTimelineStore();
        builder.AddFhirRiskPredictions();
        builder.AddFhirRiskGrpc();
        builder.AddFhirRiskServiceAuthentication();
        if (cdsHooks)
            builder.Services.AddCdsHooks(builder.Configuration);
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapFhirRiskOperations();
        app.UseFhirRiskServiceAuthentication();
        app.MapFhirRiskHttp();
        app.MapFhirRiskGrpc();
        if (cdsHooks)
            app.MapCdsHooks();
        try
        {
            await TestHost.StartAsync(app, Timeout);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var httpPort = app.Services.GetRequiredService<HttpListenerBinding>().Port!.Value;
        var grpcPort = TestHost.Ports(app).Single(p => p != httpPort);
        return new TestFhirRiskServer(app, folder, logs, httpPort, grpcPort);
    }

    /// <summary>Polls <c>/health/ready</c> until it answers 200, or fails after the timeout.</summary>
    public async Task WaitUntilReadyAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (true)
        {
            using var response = await Http.GetAsync(new Uri("/health/ready", UriKind.Relative), timeout.Token);
            if (response.IsSuccessStatusCode)
                return;
            await Task.Delay(100, timeout.Token);
        }
    }

    public Task<HttpResponseMessage> PostAsync(string path, string body, string mediaType = "application/fhir+json")
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return Http.PostAsync(new Uri(path, UriKind.Relative), content);
    }

    /// <summary>Begins the host's graceful stop (what SIGTERM does) without waiting for it; <see cref="DisposeAsync"/>
    /// then waits for it.</summary>
    public Task StopAsync()
    {
        _stopping ??= _app.StopAsync(_stopTimeout.Token);
        return _stopping;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            if (_stopping is not null)
            {
                await _stopping.WaitAsync(Timeout);
                await _app.DisposeAsync();
            }
            else
            {
                await TestHost.StopAsync(_app, Timeout);
            }
        }
        finally
        {
            _stopTimeout.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            _folder.Dispose();
        }
    }
}
