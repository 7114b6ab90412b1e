namespace FhirRisk.Model.Compute;

/// <summary>
/// Elements [<see cref="Offset"/>, <see cref="Offset"/> + <see cref="Length"/>) of a <see cref="DeviceBuffer{T}"/>:
/// what every kernel of <see cref="IComputeBackend"/> reads and writes, the device twin of a <see cref="Span{T}"/>.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
/// <param name="Buffer">The buffer viewed.</param>
/// <param name="Offset">First element in the buffer.</param>
/// <param name="Length">Elements.</param>
public readonly record struct DeviceView<T>(DeviceBuffer<T> Buffer, long Offset, int Length)
    where T : unmanaged
{
    /// <summary>Elements [start, start + length) of this view.</summary>
    /// <param name="start">First element, relative to this view.</param>
    /// <param name="length">Elements.</param>
    public DeviceView<T> Slice(long start, int length)
    {
        if (start < 0 || length < 0 || start + length > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice [{start}, {start + length}) lies outside a view of {Length} elements.");
        return new DeviceView<T>(Buffer, Offset + start, length);
    }

    /// <summary>Rows [row, row + rows) of a row-major view whose rows are <paramref name="width"/> wide.</summary>
    /// <param name="row">First row.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="width">Elements per row.</param>
    public DeviceView<T> Rows(int row, int rows, int width) => Slice((long)row * width, checked(rows * width));
}
