using System.Collections.Concurrent;
using FhirRisk.Server.Health;
using FhirRisk.Server.Risk;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Tests.Infrastructure;

/// <summary>
/// The server as Program.cs composes it (AddFhirRiskGrpc/MapFhirRiskGrpc), on Kestrel at 127.0.0.1 and a free port,
/// with a <see cref="FakeRiskServiceBackend"/> and every log line captured.
/// </summary>
internal sealed class TestGrpcServer : IAsyncDisposable
{
    private static readonly TimeSpan StartStopTimeout = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;

    private TestGrpcServer(WebApplication app, FakeRiskServiceBackend backend, CapturingLoggerProvider logs, int port)
    {
        _app = app;
        Backend = backend;
        Logs = logs;
        Port = port;
    }

    public FakeRiskServiceBackend Backend { get; }

    public CapturingLoggerProvider Logs { get; }

    public int Port { get; }

    /// <summary><c>127.0.0.1:port</c>, as grpc-js takes it.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public Uri BaseUri(bool tls = false) => new($"{(tls ? "https" : "http")}://127.0.0.1:{Port}");

    public HealthStatusRegistry Health => _app.Services.GetRequiredService<HealthStatusRegistry>();

    public static async Task<TestGrpcServer> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var (builder, logs) = TestHost.CreateBuilder(AppContext.BaseDirectory, new Dictionary<string, string?>
        {
            ["Grpc:Host"] = "127.0.0.1",
            ["Grpc:Port"] = "0",
            // The server's appsettings.json is copied beside the tests; its levels would hide the Debug events.
            ["Logging:LogLevel:Default"] = "Debug",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        }, settings);
        builder.Services.AddSingleton<FakeRiskServiceBackend>();
        builder.Services.AddSingleton<IRiskServiceBackend>(p => p.GetRequiredService<FakeRiskServiceBackend>());
        builder.AddFhirRiskGrpc();

        var app = builder.Build();
        app.MapFhirRiskGrpc();
        await TestHost.StartAsync(app, StartStopTimeout);
        return new TestGrpcServer(app, app.Services.GetRequiredService<FakeRiskServiceBackend>(), logs, TestHost.Ports(app).Single());
    }

    public ValueTask DisposeAsync() => TestHost.StopAsync(_app, StartStopTimeout);
}

/// <summary>Keeps every log entry so tests can assert on event ids (and that no unexpected error was logged).</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => _entries.ToArray();

    public IReadOnlyList<LogEntry> Errors => Entries.Where(e => e.Level >= LogLevel.Error).ToArray();

    public bool Has(int eventId) => _entries.Any(e => e.EventId == eventId);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new LogEntry(category, logLevel, eventId.Id, formatter(state, exception), exception));
    }
}

internal sealed record LogEntry(string Category, LogLevel Level, int EventId, string Message, Exception? Exception);
