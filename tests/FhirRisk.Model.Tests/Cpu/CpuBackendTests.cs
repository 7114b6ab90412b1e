using FhirRisk.Model.Compute;
using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Tests.Cpu;

public sealed class CpuBackendTests
{
    [Fact]
    public void Wrap_SharesTheArray_SoKernelWritesShowInIt()
    {
        var backend = new CpuBackend(ComputeOptions.SingleThreaded);
        var host = new float[] { 1, 2, 3, 4 };
        var buffer = backend.Wrap(host);

        backend.ResidualForward(buffer.View(0, 2), buffer.View(0, 2), buffer.View(2, 2));

        Assert.Equal([4f, 6f, 3f, 4f], host);
    }

    [Fact]
    public void UploadAndDownload_RoundTripThroughAView()
    {
        var backend = new CpuBackend();
        var buffer = backend.AllocateInt(6);

        backend.Upload<int>([7, 8, 9], buffer.View(2, 3));

        Assert.Equal([0, 0, 7, 8, 9, 0], buffer.ToArray());
        Assert.Throws<ArgumentException>(() => backend.Upload<int>([1, 2], buffer.View(0, 3)));
    }

    [Fact]
    public void Views_OutsideTheBuffer_AreRefused()
    {
        var buffer = new CpuBackend().Allocate(10);

        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.View(8, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.View(2, 4).Slice(3, 2));
        Assert.Equal(new DeviceView<float>(buffer, 5, 2), buffer.View(1, 8).Rows(2, 1, 2).Slice(0, 2));
    }

    [Fact]
    public void AKernel_RefusesABufferOfAnotherBackend()
    {
        var (mine, theirs) = (new CpuBackend(), new CpuBackend());
        var foreign = theirs.Allocate(4);

        var error = Assert.Throws<ArgumentException>(() => mine.Zero(foreign.All));

        Assert.Contains("not to this CPU backend", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GatherAndScatterRows_MoveWholeRows()
    {
        var backend = new CpuBackend();
        var table = backend.Wrap(new float[] { 0, 1, 10, 11, 20, 21, 30, 31 });
        var rows = backend.Wrap(new[] { 3, 1 });
        var packed = backend.Allocate(4);

        backend.GatherRows(packed.All, table.All, rows.All, width: 2);
        var target = backend.Allocate(8);
        backend.ScatterRows(target.All, packed.All, rows.All, width: 2);

        Assert.Equal([30f, 31f, 10f, 11f], packed.ToArray());
        Assert.Equal([0f, 0f, 10f, 11f, 0f, 0f, 30f, 31f], target.ToArray());
    }

    [Fact]
    public void GatherRows_WithARowOutsideTheSource_Throws_AndWritesNothing()
    {
        var backend = new CpuBackend();
        var table = backend.Allocate(8);
        var packed = backend.Wrap(new float[] { 5, 5, 5, 5 });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            backend.GatherRows(packed.All, table.All, backend.Wrap(new[] { 0, 4 }).All, width: 2));

        Assert.Contains("Row 4", error.Message, StringComparison.Ordinal);
        Assert.Equal([5f, 5f, 5f, 5f], packed.ToArray());
    }
}
