namespace FhirRisk.Training.Linear;

/// <summary>
/// A design matrix in compressed sparse rows (CSR, as SciPy's <c>csr_matrix</c>): row i's non-zeros are
/// <c>values[offsets[i] .. offsets[i+1])</c> in the ascending columns <c>columnIndices[…]</c>. Build one with
/// <see cref="Builder"/>.
/// </summary>
public sealed class SparseFeatureMatrix : FeatureMatrix
{
    private readonly int[] _offsets;
    private readonly int[] _columnIndices;
    private readonly double[] _values;

    /// <param name="offsets">(rows + 1) start of each row in the entry arrays; the last is the entry count.</param>
    /// <param name="columnIndices">(entries) each entry's column, ascending within a row.</param>
    /// <param name="values">(entries) each entry's value.</param>
    /// <param name="columns">Features.</param>
    public SparseFeatureMatrix(int[] offsets, int[] columnIndices, double[] values, int columns)
        : base((offsets ?? throw new ArgumentNullException(nameof(offsets))).Length - 1, columns)
    {
        ArgumentNullException.ThrowIfNull(columnIndices);
        ArgumentNullException.ThrowIfNull(values);
        if (offsets[0] != 0 || offsets[^1] != values.Length || columnIndices.Length != values.Length)
            throw new ArgumentException("offsets must start at 0 and end at the entry count, and columnIndices and values must have one item per entry.");
        for (var i = 0; i < Rows; i++)
        {
            if (offsets[i + 1] < offsets[i])
                throw new ArgumentException($"offsets decrease at row {i}.", nameof(offsets));
            for (var k = offsets[i]; k < offsets[i + 1]; k++)
            {
                if ((uint)columnIndices[k] >= (uint)columns || (k > offsets[i] && columnIndices[k] <= columnIndices[k - 1]))
                    throw new ArgumentException($"Row {i}: column indices must be ascending and below {columns}.", nameof(columnIndices));
            }
        }
        _offsets = offsets;
        _columnIndices = columnIndices;
        _values = values;
    }

    public override bool IsSparse => true;

    /// <summary>Stored entries (non-zeros).</summary>
    public int Entries => _values.Length;

    internal override FeatureRow Row(int row)
    {
        var (start, end) = (_offsets[row], _offsets[row + 1]);
        return new FeatureRow(_columnIndices.AsSpan(start, end - start), _values.AsSpan(start, end - start), dense: false);
    }

    /// <summary>Appends rows one at a time.</summary>
    /// <param name="columns">Features of the matrix.</param>
    public sealed class Builder(int columns)
    {
        private readonly List<int> _offsets = [0];
        private readonly List<int> _columnIndices = [];
        private readonly List<double> _values = [];

        public int Rows => _offsets.Count - 1;

        /// <summary>Adds a row from its entries in ascending column order; zero values are not stored.</summary>
        public void AddRow(ReadOnlySpan<int> columnIndices, ReadOnlySpan<double> values)
        {
            if (columnIndices.Length != values.Length)
                throw new ArgumentException("Each entry needs one column and one value.", nameof(values));
            for (var k = 0; k < values.Length; k++)
            {
                if (values[k] == 0)
                    continue;
                _columnIndices.Add(columnIndices[k]);
                _values.Add(values[k]);
            }
            _offsets.Add(_values.Count);
        }

        public SparseFeatureMatrix Build() => new([.. _offsets], [.. _columnIndices], [.. _values], columns);
    }
}
