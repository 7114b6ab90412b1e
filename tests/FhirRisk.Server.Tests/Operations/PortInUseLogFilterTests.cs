using FhirRisk.Server.Http;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FhirRisk.Server.Tests.Operations;

/// <summary>The host's "Hosting failed to start" is left out for a port in use only (Program.cs reports that in one line);
/// any other start-up fault keeps the event and its exception.</summary>
public sealed class PortInUseLogFilterTests
{
    [Fact]
    public async Task The_hosts_start_failure_event_is_dropped_for_a_port_in_use_only()
    {
        var portInUse = new IOException("Failed to bind to address http://127.0.0.1:1: address already in use.", new AddressInUseException("Address already in use"));

        var (inUseLogs, inUseThrown) = await StartFailingHostAsync(portInUse);
        var (otherLogs, otherThrown) = await StartFailingHostAsync(new InvalidOperationException("not a port"));

        Assert.Same(portInUse, inUseThrown); // still thrown for Program.cs to report
        Assert.DoesNotContain(inUseLogs.Entries, e => e.EventId == PortInUseLogFilter.HostingFailedToStart);
        Assert.IsType<InvalidOperationException>(otherThrown);
        var logged = Assert.Single(otherLogs.Entries, e => e.EventId == PortInUseLogFilter.HostingFailedToStart);
        Assert.Equal(PortInUseLogFilter.HostCategory, logged.Category);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Same(otherThrown, logged.Exception);
    }

    [Fact]
    public void Only_ports_in_use_count_as_such()
    {
        var inUse = new IOException("Failed to bind", new AddressInUseException("in use"));
        Assert.True(ListenerPortInUse.Is(inUse));
        Assert.True(ListenerPortInUse.Is(new AggregateException(inUse, inUse)));
        Assert.False(ListenerPortInUse.Is(new AggregateException(inUse, new InvalidOperationException())));
        Assert.False(ListenerPortInUse.Is(new IOException("Failed to bind to address http://127.0.0.1:80.", new System.Net.Sockets.SocketException(13))));
        Assert.False(ListenerPortInUse.Is(null));
    }

    /// <summary>A host whose one hosted service fails to start with <paramref name="failure"/>, as Kestrel's does when it
    /// cannot bind: what was logged, and what the start threw.</summary>
    private static async Task<(CapturingLoggerProvider Logs, Exception Thrown)> StartFailingHostAsync(Exception failure)
    {
        using var folder = new FhirRisk.Testing.TempDirectory("port-in-use-log");
        var (builder, logs) = TestHost.CreateBuilder(folder.Path, new Dictionary<string, string?>(), null);
        PortInUseLogFilter.AddTo(builder.Services);
        builder.Services.AddHostedService(_ => new FailingService(failure));
        await using var app = builder.Build();
        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => TestHost.StartAsync(app, TimeSpan.FromSeconds(30)));
        return (logs, thrown);
    }

    private sealed class FailingService(Exception failure) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.FromException(failure);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
