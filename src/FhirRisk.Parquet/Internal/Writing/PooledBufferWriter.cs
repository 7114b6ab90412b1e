using System.Buffers;

namespace FhirRisk.Parquet.Internal.Writing;

/// <summary>
/// A growable byte buffer over arrays rented from <see cref="ArrayPool{T}.Shared"/>. Page and chunk scratch space is
/// rented for one column chunk and handed back after it (<see cref="Release"/>), so the columns of a file, and the
/// files of a dataset, reuse the same few arrays instead of each allocating — and the runtime zeroing and the kernel
/// faulting in — megabytes that are used once. Rented memory is not cleared: only written bytes are ever read.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    private const int MinimumRent = 4096;

    private byte[] _buffer = [];

    public int WrittenCount { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, WrittenCount);

    /// <summary>The written bytes, writable, for patching a length prefix once the length is known.</summary>
    public Span<byte> WrittenSpanForPatching => _buffer.AsSpan(0, WrittenCount);

    public void ResetWrittenCount() => WrittenCount = 0;

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - WrittenCount);
        WrittenCount += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(WrittenCount);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(WrittenCount);
    }

    /// <summary>Returns the array to the pool and forgets the contents; the next write rents again.</summary>
    public void Release()
    {
        if (_buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        WrittenCount = 0;
    }

    private void Reserve(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        var needed = (long)WrittenCount + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
            return;
        if (needed > Array.MaxLength)
            throw new OutOfMemoryException($"A Parquet page or column chunk would need {needed} bytes, more than one array can hold.");
        var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Max(MinimumRent, 2L * _buffer.Length))));
        WrittenSpan.CopyTo(grown);
        var old = _buffer;
        _buffer = grown;
        if (old.Length > 0)
            ArrayPool<byte>.Shared.Return(old);
    }
}
