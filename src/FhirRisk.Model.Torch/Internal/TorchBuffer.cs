using FhirRisk.Model.Compute;

namespace FhirRisk.Model.Torch.Internal;

/// <summary>
/// A buffer in the shim's memory: <see cref="Handle"/> owns it (an ATen tensor, so CUDA memory comes from and returns to
/// the caching allocator) and <see cref="Data"/> is its first element. Dispose frees it at once; the finalizer is only a
/// safety net, since GPU memory left to the GC can run the device out of memory long before the GC notices.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
internal sealed unsafe class TorchBuffer<T> : DeviceBuffer<T>
    where T : unmanaged
{
    private nint _handle;

    public TorchBuffer(TorchBackend backend, long length)
        : base(backend, length)
    {
        NativeStatus.Check(NativeMethods.Alloc(checked(length * sizeof(T)), backend.Device.Code, out _handle, out var data));
        Data = data;
    }

    ~TorchBuffer() => Free();

    /// <summary>The shim's owner of the memory.</summary>
    public nint Handle => _handle;

    /// <summary>Address of element 0 (device memory on CUDA).</summary>
    public nint Data { get; }

    protected override void Release() => Free();

    private void Free()
    {
        var handle = Interlocked.Exchange(ref _handle, 0);
        if (handle != 0)
            NativeMethods.Free(handle);
    }
}
