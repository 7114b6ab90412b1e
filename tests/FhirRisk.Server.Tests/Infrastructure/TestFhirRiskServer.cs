using System.Net.Http.Headers;
using System.Text;
using FhirRisk.Inference.Tests;
using FhirRisk.Server.Http;
using FhirRisk.Server.Patients;
using FhirRisk.Server.Timeline;
using FhirRisk.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>
/// The whole server as Program.cs composes it, on Kestrel at 127.0.0.1 (free ports for HTTP and gRPC), with a SQLite
/// store in a temporary folder and the tiny model of the Inference tests (few, short rollouts), every log line captured.
/// </summary>
internal sealed class TestFhirRiskServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly WebApplication _app;
    private readonly TempDirectory _folder;

    private TestFhirRiskServer(WebApplication app, TempDirectory folder, CapturingLoggerProvider logs, int httpPort, int grpcPort)
    {
        (_app, _folder, Logs, GrpcPort) = (app, folder, logs, grpcPort);
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = Timeout };
    }

    public HttpClient Http { get; }

    public CapturingLoggerProvider Logs { get; }

    public int GrpcPort { get; }

    public string GrpcAddress => $"127.0.0.1:{GrpcPort}";

    public ITimelineStore Store => _app.Services.GetRequiredService<ITimelineStore>();

    public IServiceProvider Services => _app.Services;

    public IPatientRiskService Patients => _app.Services.GetRequiredService<IPatientRiskService>();

    public static async Task<TestFhirRiskServer> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var folder = new TempDirectory("fhirrisk-server");
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
        }, settings);
        builder.AddFhirRiskHttp();
        builder.AddFhirRiskTimelineStore();
        builder.AddFhirRiskPredictions();
        builder.AddFhirRiskGrpc();
        var app = builder.Build();
        app.MapFhirRiskHttp();
        app.MapFhirRiskGrpc();
        await TestHost.StartAsync(app, Timeout);
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

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await TestHost.StopAsync(_app, Timeout);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            _folder.Dispose();
        }
    }
}
