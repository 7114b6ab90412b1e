namespace FhirRisk.Model.Cpu;

/// <summary>
/// A read-only view of op(X) with element (i, j) at <c>Data[i·RowStride + j·ColumnStride]</c>. A transposed operand
/// just swaps the strides, so the blocked driver sees one layout and only packing cares which stride is 1.
/// </summary>
internal readonly unsafe struct StridedMatrix
{
    public StridedMatrix(float* data, nint rowStride, nint columnStride)
    {
        Data = data;
        RowStride = rowStride;
        ColumnStride = columnStride;
    }

    public float* Data { get; }

    public nint RowStride { get; }

    public nint ColumnStride { get; }

    /// <summary>The view starting at element (row, column).</summary>
    public StridedMatrix At(int row, int column) => new(Data + row * RowStride + column * ColumnStride, RowStride, ColumnStride);

    /// <summary>op(X) for a row-major buffer with leading dimension <paramref name="ld"/>.</summary>
    public static StridedMatrix Of(float* data, int ld, Transpose transpose) =>
        transpose == Transpose.No ? new(data, ld, 1) : new(data, 1, ld);
}
