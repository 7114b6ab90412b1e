using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;
using static FhirRisk.Model.Torch.Tests.Conformance;

namespace FhirRisk.Model.Torch.Tests;

/// <summary>Memory, errors and devices: a bad call throws with a message and leaves the backend (and the process) working.</summary>
[Collection(TorchCollection.Name)]
public sealed class TorchBackendTests(TorchFixture fixture)
{
    private TorchBackend Torch => fixture.Torch;

    [TorchFact]
    public void Allocate_IsZeroed_AndUploadDownloadCopyZeroWorkOnViews()
    {
        using var floats = Torch.Allocate(8);
        using var ints = Torch.AllocateInt(6);
        Assert.Equal(new float[8], floats.ToArray());

        Torch.Upload<int>([7, 8, 9], ints.View(2, 3));
        Torch.Upload<float>([1, 2, 3, 4], floats.View(0, 4));
        Torch.Copy(floats.View(1, 2), floats.View(5, 2));
        Torch.Zero(floats.View(0, 1));

        Assert.Equal([0, 0, 7, 8, 9, 0], ints.ToArray());
        Assert.Equal([0f, 2, 3, 4, 0, 2, 3, 0], floats.ToArray());
        Assert.Throws<ArgumentException>(() => Torch.Upload<int>([1, 2], ints.View(0, 3)));
    }

    [TorchFact]
    public void ABadShape_ThrowsArgumentExceptionWithTheShimsMessage_AndTheBackendLivesOn()
    {
        using DeviceBuffer<float> output = Torch.Allocate(5), input = Torch.Load(Random(1, 6)), weight = Torch.Load(Random(2, 6));

        var error = Assert.Throws<ArgumentException>(() => Torch.MatMulForward(output.All, input.All, weight.All, 2, 3, 2));

        Assert.Equal("output has 5 elements; the shape needs 4.", error.Message);
        Torch.MatMulForward(output.View(0, 4), input.All, weight.All, 2, 3, 2);
        var cpu = fixture.Cpu;
        using DeviceBuffer<float> expected = cpu.Allocate(4), x = cpu.Load(input.ToArray()), w = cpu.Load(weight.ToArray());
        cpu.MatMulForward(expected.All, x.All, w.All, 2, 3, 2);
        Assert.Equal(expected.ToArray(), output.ToArray()[..4], (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [TorchFact]
    public void AttentionWithHeadsThatDoNotDivideC_IsRefused()
    {
        using DeviceBuffer<float> output = Torch.Allocate(10), stats = Torch.Allocate(6), qkv = Torch.Allocate(30);

        var error = Assert.Throws<ArgumentException>(() => Torch.AttentionForward(output.All, stats.All, qkv.All, 1, 2, 5, 3));

        Assert.Contains("C=5 is not divisible by NH=3", error.Message, StringComparison.Ordinal);
    }

    [TorchFact]
    public void OutOfRangeIds_AreRefusedBeforeAnyIndexing()
    {
        using DeviceBuffer<float> output = Torch.Allocate(4), wte = Torch.Allocate(6), wpe = Torch.Allocate(4), logits = Torch.Allocate(128), losses = Torch.Allocate(2);
        using DeviceBuffer<int> tokens = Torch.Load(new[] { 1, 3 }), targets = Torch.Load(new[] { 0, 64 }), rows = Torch.Load(new[] { 2 });

        var token = Assert.Throws<ArgumentException>(() => Torch.EmbeddingForward(output.All, tokens.All, wte.All, wpe.All, 1, 2, 2));
        var target = Assert.Throws<ArgumentException>(() => Torch.CrossEntropyForward(losses.All, logits.All, targets.All, 2, 50, 64));
        var row = Assert.Throws<ArgumentException>(() => Torch.GatherRows(output.View(0, 2), wpe.All, rows.All, 2));

        Assert.Equal("tokens[1] = 3 lies outside [0, 3).", token.Message);
        Assert.Equal("targets[1] = 64 lies outside [0, 50) and is not -100.", target.Message);
        Assert.Equal("Row 2 lies outside source's 2 rows.", row.Message);
    }

    [TorchFact]
    public void AnAllocationAtenCannotMake_ThrowsTorchExceptionWithAtensMessage()
    {
        var error = Assert.Throws<TorchException>(() => Torch.Allocate(1L << 50));

        Assert.Contains("alloc", error.Message, StringComparison.OrdinalIgnoreCase);
        using var small = Torch.Allocate(3);
        Assert.Equal(new float[3], small.ToArray());
    }

    [TorchFact]
    public void ABufferOfAnotherBackend_OrADisposedOne_IsRefused()
    {
        using var foreign = new CpuBackend().Allocate(4);
        var disposed = Torch.Allocate(4);
        disposed.Dispose();

        var error = Assert.Throws<ArgumentException>(() => Torch.Zero(foreign.All));

        Assert.Contains("not to this Torch backend", error.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => Torch.Zero(disposed.All));
    }

    [TorchFact]
    public void AMissingCudaDevice_IsReportedByTryLoadAndRefusedByTheConstructor()
    {
        _ = Torch;

        Assert.True(TorchBackend.TryLoad(TorchDevice.Cpu, out _));
        Assert.False(TorchBackend.TryLoad(TorchDevice.Cuda(99), out var reason));
        Assert.Contains("cuda:99", reason, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new TorchBackend(TorchDevice.Cuda(99)));
        Assert.StartsWith("torch ", TorchBackend.NativeVersion, StringComparison.Ordinal);
        Assert.Equal($"torch-{Torch.Device}", Torch.Name);
    }
}
