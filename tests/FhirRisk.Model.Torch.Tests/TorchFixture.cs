using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Torch.Tests;

/// <summary>The two backends under comparison, shared by every Torch test class; the shim is built (once) on first use,
/// so a machine that skips the tests never pays for it. <c>FHIRRISK_TORCH_DEVICE</c> (cpu, cuda, cuda:n; default cpu)
/// picks the Torch backend's device, so the same suite checks a GPU.</summary>
public sealed class TorchFixture
{
    private readonly Lazy<TorchBackend> _torch = new(() =>
    {
        TorchNative.EnsureBuilt();
        var device = Environment.GetEnvironmentVariable("FHIRRISK_TORCH_DEVICE") is { Length: > 0 } name ? TorchDevice.Parse(name) : TorchDevice.Cpu;
        return new TorchBackend(device);
    });

    /// <summary>The oracle.</summary>
    public CpuBackend Cpu { get; } = new();

    /// <summary>The backend under test.</summary>
    public TorchBackend Torch => _torch.Value;
}

/// <summary>One collection: the tests share the fixture and run one at a time (libtorch's thread setting is process-wide).</summary>
[CollectionDefinition(Name)]
public sealed class TorchCollection : ICollectionFixture<TorchFixture>
{
    public const string Name = "Torch";
}
