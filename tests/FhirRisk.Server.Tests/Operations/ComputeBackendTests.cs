using FhirRisk.Server.Patients;
using FhirRisk.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FhirRisk.Server.Tests.Operations;

/// <summary>Model:Backend: the CPU by default; Torch only where libtorch and the device are there, else no start.</summary>
public sealed class ComputeBackendTests
{
    [Fact]
    public async Task Torch_on_cuda_where_there_is_no_gpu_or_shim_fails_the_start_with_a_clear_message()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["Model:Backend"] = "Torch",
            ["Model:Device"] = "cuda",
        }));

        Assert.Contains("Model:Backend is Torch on cuda:0, but the Torch backend cannot run here", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not fall back to the CPU", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_device_is_named()
    {
        var result = new RiskModelOptionsValidator().Validate(null, new RiskModelOptions { Backend = ComputeBackendKind.Torch, Device = "tpu" });

        Assert.True(result.Failed);
        Assert.Contains("Model:Device 'tpu' is not cpu, cuda or cuda:<n>.", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_rollout_estimator_is_named()
    {
        var result = new RiskModelOptionsValidator().Validate(null, new RiskModelOptions { RolloutEstimator = "median" });

        Assert.True(result.Failed);
        Assert.Contains("Model:RolloutEstimator 'median' is not hazard or count.", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new RiskModelOptionsValidator().Validate(null, new RiskModelOptions { RolloutEstimator = "count" }).Succeeded);
    }

    [Fact]
    public async Task The_rollout_engines_memory_and_slots_are_set_by_configuration()
    {
        // Review s16-inference #2: the service always ran the library default (256 MiB, 64 slots), 3 slots for an
        // ETHOS-sized model even on a GPU, while the operations guide told operators to size by slots.
        await using var server = await TestFhirRiskServer.StartAsync(new Dictionary<string, string?>
        {
            ["Model:KvCacheMiB"] = "64", ["Model:MaxSlots"] = "3", ["Model:MaxRowsPerStep"] = "40",
        });
        await server.WaitUntilReadyAsync();

        var model = server.Services.GetRequiredService<RiskModel>();
        Assert.Equal((3, 40), (model.RolloutSlots, model.RolloutRowsPerStep));
        var invalid = new RiskModelOptionsValidator().Validate(null, new RiskModelOptions { KvCacheMiB = 0, MaxSlots = 0, MaxRowsPerStep = 0 });
        Assert.Contains("Model:KvCacheMiB must be at least 1.", invalid.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Model:MaxSlots must be at least 1.", invalid.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Model:MaxRowsPerStep must be at least 1.", invalid.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cpu_backend_is_the_default()
    {
        await using var server = await TestFhirRiskServer.StartAsync();
        await server.WaitUntilReadyAsync();

        Assert.Contains(server.Logs.Entries, e => e.EventId == 400 && e.Message.Contains("on the cpu backend", StringComparison.Ordinal));
    }
}
