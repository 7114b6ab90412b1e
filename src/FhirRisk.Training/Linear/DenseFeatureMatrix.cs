namespace FhirRisk.Training.Linear;

/// <summary>A dense design matrix, row-major: row i is <c>values[i·columns .. (i+1)·columns)</c>.</summary>
public sealed class DenseFeatureMatrix : FeatureMatrix
{
    private readonly double[] _values;

    /// <param name="values">(rows, columns) row-major; used in place, not copied.</param>
    /// <param name="rows">Examples.</param>
    /// <param name="columns">Features.</param>
    public DenseFeatureMatrix(double[] values, int rows, int columns)
        : base(rows, columns)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != (long)rows * columns)
            throw new ArgumentException($"Expected rows × columns = {(long)rows * columns} values, got {values.Length}.", nameof(values));
        _values = values;
    }

    public override bool IsSparse => false;

    /// <summary>A matrix from equal-length rows (tests, small fixtures).</summary>
    public static DenseFeatureMatrix FromRows(IReadOnlyList<double[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var columns = rows.Count == 0 ? 0 : rows[0].Length;
        var values = new double[rows.Count * columns];
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != columns)
                throw new ArgumentException($"Row {i} has {rows[i].Length} values, row 0 has {columns}.", nameof(rows));
            rows[i].CopyTo(values, i * columns);
        }
        return new DenseFeatureMatrix(values, rows.Count, columns);
    }

    internal override FeatureRow Row(int row) => new([], _values.AsSpan(row * Columns, Columns), dense: true);
}
