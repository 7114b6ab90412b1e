namespace FhirRisk.Model.Compute;

/// <summary>The shape rules of <see cref="IComputeBackend.GatherRows"/> and <see cref="IComputeBackend.ScatterRows"/>,
/// shared by the backends so both refuse the same calls with the same message.</summary>
public static class RowCopy
{
    /// <summary>Throws unless the packed side holds exactly rows·width elements and every row index lies inside the
    /// indexed side.</summary>
    /// <param name="packedLength">Elements of the packed side (one row per index).</param>
    /// <param name="indexedLength">Elements of the indexed side.</param>
    /// <param name="rows">The row indices.</param>
    /// <param name="width">Elements per row.</param>
    /// <param name="packedName">Parameter name of the packed side, for the message.</param>
    /// <param name="indexedName">Parameter name of the indexed side.</param>
    public static void Check(int packedLength, int indexedLength, ReadOnlySpan<int> rows, int width, string packedName, string indexedName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (packedLength != (long)rows.Length * width)
            throw new ArgumentException($"{packedName} must hold {rows.Length} rows × {width} = {(long)rows.Length * width} elements, not {packedLength}.", packedName);
        var indexedRows = indexedLength / width;
        foreach (var row in rows)
        {
            if ((uint)row >= (uint)indexedRows)
                throw new ArgumentOutOfRangeException(indexedName, $"Row {row} lies outside {indexedName}'s {indexedRows} rows.");
        }
    }
}
