using FhirRisk.Server.Health;
using Microsoft.Extensions.Logging.Abstractions;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace FhirRisk.Server.Tests.Health;

public sealed class HealthStatusRegistryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly HealthStatusRegistry _registry = new(NullLogger<HealthStatusRegistry>.Instance);

    [Fact]
    public void New_ServerServing_NothingElseKnown()
    {
        Assert.True(_registry.TryGetStatus("", out var status));
        Assert.Equal(ServingStatus.Serving, status);
        Assert.False(_registry.TryGetStatus("fhirrisk.v1.RiskService", out _));
    }

    [Fact]
    public async Task Watch_GetsCurrentThenEachChange()
    {
        _registry.SetStatus("a", ServingStatus.NotServing);
        using var watch = _registry.Watch("a");

        Assert.Equal(ServingStatus.NotServing, await Next(watch));
        _registry.SetStatus("a", ServingStatus.Serving);
        Assert.Equal(ServingStatus.Serving, await Next(watch));
        _registry.SetStatus("b", ServingStatus.NotServing); // another service: not seen
        _registry.SetStatus("a", ServingStatus.Serving); // no change: not seen
        _registry.Remove("a");
        Assert.Equal(ServingStatus.ServiceUnknown, await Next(watch));
    }

    [Fact]
    public async Task Watch_UnknownService_ServiceUnknownThenItsStatusOnceKnown()
    {
        using var watch = _registry.Watch("later");

        Assert.Equal(ServingStatus.ServiceUnknown, await Next(watch));
        _registry.SetStatus("later", ServingStatus.Serving);
        Assert.Equal(ServingStatus.Serving, await Next(watch));
    }

    [Fact]
    public async Task Watch_SlowReader_SeesOnlyTheLatest()
    {
        using var watch = _registry.Watch("a");
        _registry.SetStatus("a", ServingStatus.NotServing);
        _registry.SetStatus("a", ServingStatus.Serving);

        Assert.Equal(ServingStatus.Serving, await Next(watch));
        Assert.False(watch.Statuses.TryRead(out _));
    }

    [Fact]
    public async Task EnterShutdown_AllNotServing_WatchesEnd_UpdatesIgnored()
    {
        _registry.SetStatus("a", ServingStatus.Serving);
        using var watch = _registry.Watch("a");
        Assert.Equal(ServingStatus.Serving, await Next(watch));

        _registry.EnterShutdown();
        _registry.SetStatus("a", ServingStatus.Serving);

        Assert.Equal(ServingStatus.NotServing, await Next(watch));
        await watch.Statuses.Completion.WaitAsync(Timeout);
        Assert.All(_registry.Snapshot().Values, s => Assert.Equal(ServingStatus.NotServing, s));
    }

    [Fact]
    public void SetStatus_ServiceUnknown_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _registry.SetStatus("a", ServingStatus.ServiceUnknown));
    }

    [Fact]
    public async Task WatchersAreIdle_OnceTheCurrentStatusIsTaken()
    {
        Assert.False(_registry.WatchersAreIdle("a"));
        using var watch = _registry.Watch("a");
        Assert.False(_registry.WatchersAreIdle("a"));

        await Next(watch);

        Assert.True(_registry.WatchersAreIdle("a"));
    }

    [Fact]
    public void Dispose_StopsTheWatcher()
    {
        var watch = _registry.Watch("a");
        Assert.Equal(1, _registry.WatcherCount("a"));

        watch.Dispose();

        Assert.Equal(0, _registry.WatcherCount("a"));
    }

    private static async Task<ServingStatus> Next(HealthWatch watch) =>
        await watch.Statuses.ReadAsync().AsTask().WaitAsync(Timeout);
}
