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

    [Fact]
    public void TryWatch_AtTheCap_RefusedAndNothingKept_FreedByDispose()
    {
        var registry = new HealthStatusRegistry(NullLogger<HealthStatusRegistry>.Instance, maxWatchers: 2);
        Assert.True(registry.TryWatch("a", out var first));
        Assert.True(registry.TryWatch("b", out var second));

        Assert.False(registry.TryWatch("a", out var refused));
        Assert.Null(refused);
        Assert.Equal(2, registry.TotalWatchers);
        first.Dispose();
        Assert.True(registry.TryWatch("a", out var third));
        second.Dispose();
        third.Dispose();
        Assert.Equal(0, registry.TotalWatchers);
    }

    [Fact]
    public void Names_OverTheLimit_Refused()
    {
        var longest = new string('é', HealthStatusRegistry.MaxServiceNameBytes / 2);
        var over = longest + "x";

        using var watch = _registry.Watch(longest);
        Assert.False(HealthStatusRegistry.IsAcceptableName(over));
        Assert.Throws<ArgumentOutOfRangeException>(() => _registry.TryWatch(over, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => _registry.SetStatus(over, ServingStatus.Serving));
        Assert.Equal(1, _registry.TotalWatchers);
    }

    private static async Task<ServingStatus> Next(HealthWatch watch) =>
        await watch.Statuses.ReadAsync().AsTask().WaitAsync(Timeout);
}
