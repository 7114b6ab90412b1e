namespace FhirRisk.Training.Linear;

/// <summary>
/// A design matrix X in double: one row per example, one column per feature, dense (<see cref="DenseFeatureMatrix"/>,
/// e.g. hidden states) or compressed sparse rows (<see cref="SparseFeatureMatrix"/>, e.g. code counts). The logistic
/// regression needs only X·w, Xᵀ·r and per-column statistics, all written here over <see cref="Row"/>, so a row subset
/// (<see cref="SelectRows"/>, a cross-validation fold or a k-shot sample) costs an index array, not a copy.
/// </summary>
public abstract class FeatureMatrix
{
    /// <summary>The spacing of doubles at 1 (2⁻⁵²), the unit of rounding error.</summary>
    private const double Eps = 2.220446049250313e-16;

    private protected FeatureMatrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
    }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>True when rows list their non-zero entries (CSR).</summary>
    public abstract bool IsSparse { get; }

    /// <summary>The stored entries of one row.</summary>
    internal abstract FeatureRow Row(int row);

    /// <summary>The rows <paramref name="rows"/> of this matrix, in that order (a view: the matrix is not copied).</summary>
    public FeatureMatrix SelectRows(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var indices = rows.ToArray();
        foreach (var row in indices)
        {
            if ((uint)row >= (uint)Rows)
                throw new ArgumentOutOfRangeException(nameof(rows), $"Row {row} is outside the matrix's {Rows} rows.");
        }
        return new RowSelection(this, indices);
    }

    /// <summary>(rows) result = X·weights.</summary>
    public void Multiply(ReadOnlySpan<double> weights, Span<double> result)
    {
        CheckLength(weights.Length, Columns, nameof(weights));
        CheckLength(result.Length, Rows, nameof(result));
        for (var i = 0; i < Rows; i++)
            result[i] = Row(i).Dot(weights);
    }

    /// <summary>(columns) result = Xᵀ·values.</summary>
    public void MultiplyTransposed(ReadOnlySpan<double> values, Span<double> result)
    {
        CheckLength(values.Length, Rows, nameof(values));
        CheckLength(result.Length, Columns, nameof(result));
        result.Clear();
        for (var i = 0; i < Rows; i++)
        {
            if (values[i] != 0)
                Row(i).AddScaledTo(values[i], result);
        }
    }

    /// <summary>Per-column mean, population standard deviation (ddof 0, as scikit-learn's StandardScaler) and max |x|.</summary>
    internal ColumnStatistics ComputeColumnStatistics()
    {
        var (n, d) = (Rows, Columns);
        var mean = new double[d];
        var maxAbs = new double[d];
        for (var i = 0; i < n; i++)
        {
            var row = Row(i);
            row.AddScaledTo(1.0, mean);
            row.MaxAbsInto(maxAbs);
        }
        for (var j = 0; j < d && n > 0; j++)
            mean[j] /= n;

        // Two passes, Σ(x − μ)², so a large mean does not cancel the variance away; a sparse row's implicit zeros
        // contribute μ² each.
        var squares = new double[d];
        var stored = new int[d];
        for (var i = 0; i < n; i++)
            Row(i).AddCenteredSquaresTo(mean, squares, stored);
        var std = new double[d];
        for (var j = 0; j < d; j++)
        {
            var variance = n == 0 ? 0 : (squares[j] + ((n - stored[j]) * mean[j] * mean[j])) / n;
            // A constant column's mean is often 1 ulp off its value (3 × 0.1 / 3 ≠ 0.1), which leaves a variance of
            // rounding error, not 0; taken as a scale it would multiply the column by ~1e17. The bound is the rounding
            // error of the two-pass sum (scikit-learn's test for a constant feature), under which the column is constant.
            var rounding = (n * Eps * variance) + Math.Pow(n * mean[j] * Eps, 2);
            std[j] = variance <= rounding ? 0 : Math.Sqrt(variance);
        }
        return new ColumnStatistics(mean, std, maxAbs);
    }

    private static void CheckLength(int actual, int expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"Expected {expected} values, got {actual}.", name);
    }

    /// <summary>A subset of another matrix's rows.</summary>
    private sealed class RowSelection(FeatureMatrix parent, int[] rows) : FeatureMatrix(rows.Length, parent.Columns)
    {
        public override bool IsSparse => parent.IsSparse;

        internal override FeatureRow Row(int row) => parent.Row(rows[row]);
    }
}

/// <summary>Column statistics of a training matrix, for feature scaling.</summary>
internal sealed record ColumnStatistics(double[] Mean, double[] StandardDeviation, double[] MaxAbs);

/// <summary>
/// The stored entries of one row: all <see cref="Values"/> of a dense row (<see cref="Columns"/> empty), or a sparse
/// row's non-zeros with their ascending column indices.
/// </summary>
internal readonly ref struct FeatureRow(ReadOnlySpan<int> columns, ReadOnlySpan<double> values, bool dense)
{
    public ReadOnlySpan<int> Columns { get; } = columns;

    public ReadOnlySpan<double> Values { get; } = values;

    public bool IsDense { get; } = dense;

    public double Dot(ReadOnlySpan<double> weights)
    {
        if (IsDense)
            return VectorMath.Dot(Values, weights);
        var sum = 0.0;
        for (var k = 0; k < Values.Length; k++)
            sum += Values[k] * weights[Columns[k]];
        return sum;
    }

    /// <summary>destination += scale · row.</summary>
    public void AddScaledTo(double scale, Span<double> destination)
    {
        if (IsDense)
        {
            VectorMath.Axpy(scale, Values, destination);
            return;
        }
        for (var k = 0; k < Values.Length; k++)
            destination[Columns[k]] += scale * Values[k];
    }

    public void MaxAbsInto(Span<double> maxAbs)
    {
        for (var k = 0; k < Values.Length; k++)
        {
            var j = IsDense ? k : Columns[k];
            maxAbs[j] = Math.Max(maxAbs[j], Math.Abs(Values[k]));
        }
    }

    /// <summary>squares[j] += (x_j − mean_j)² over the stored entries; stored[j] counts them.</summary>
    public void AddCenteredSquaresTo(ReadOnlySpan<double> mean, Span<double> squares, Span<int> stored)
    {
        for (var k = 0; k < Values.Length; k++)
        {
            var j = IsDense ? k : Columns[k];
            var centered = Values[k] - mean[j];
            squares[j] += centered * centered;
            stored[j]++;
        }
    }
}
