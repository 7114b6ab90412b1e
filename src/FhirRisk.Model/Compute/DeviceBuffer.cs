namespace FhirRisk.Model.Compute;

/// <summary>
/// A flat buffer of <typeparamref name="T"/> in a backend's memory: managed memory for the CPU backend, device memory
/// (or libtorch's host allocator) for the Torch backend. Kernels take <see cref="DeviceView{T}"/>s into it, so the
/// model code never touches a pointer and runs unchanged on either backend.
/// </summary>
/// <typeparam name="T"><see cref="float"/> for values, <see cref="int"/> for token ids, targets and lengths.</typeparam>
public abstract class DeviceBuffer<T> : IDisposable
    where T : unmanaged
{
    /// <summary>Records the owner and size.</summary>
    /// <param name="backend">The backend whose kernels may read and write this buffer.</param>
    /// <param name="length">Elements.</param>
    protected DeviceBuffer(IComputeBackend backend, long length)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Backend = backend;
        Length = length;
    }

    /// <summary>The backend that allocated the buffer; a kernel of another backend refuses it.</summary>
    public IComputeBackend Backend { get; }

    /// <summary>Elements.</summary>
    public long Length { get; }

    /// <summary>Whether <see cref="Dispose()"/> has run.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>The whole buffer as one view (it must fit in an <see cref="int"/> length).</summary>
    public DeviceView<T> All => View(0, checked((int)Length));

    /// <summary>Elements [offset, offset + length).</summary>
    /// <param name="offset">First element.</param>
    /// <param name="length">Elements in the view.</param>
    public DeviceView<T> View(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"View [{offset}, {offset + length}) lies outside the buffer's {Length} elements.");
        return new DeviceView<T>(this, offset, length);
    }

    /// <summary>Copies the whole buffer to a new host array.</summary>
    public T[] ToArray()
    {
        var host = new T[checked((int)Length)];
        Backend.Download(All, host);
        return host;
    }

    /// <summary>Overwrites the whole buffer from the host.</summary>
    /// <param name="source">Exactly <see cref="Length"/> elements.</param>
    public void CopyFrom(ReadOnlySpan<T> source) => Backend.Upload(source, All);

    /// <summary>Frees the memory (a no-op for managed buffers).</summary>
    public void Dispose()
    {
        if (IsDisposed)
            return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Returns the memory to its owner; runs once.</summary>
    protected abstract void Release();
}
