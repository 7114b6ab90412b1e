namespace FhirRisk.Model.Cpu;

/// <summary>
/// Which elements of the flat parameter buffer AdamW applies weight decay to: the listed ranges (the 2-D tensors:
/// weight matrices and the token and position embeddings, DESIGN §5), and nothing else (layernorm gains, biases). Built once from the model's parameter layout and validated
/// then, so a step only walks a sorted array.
/// </summary>
public sealed class DecayMask
{
    private readonly ParameterRange[] _decayed;

    /// <summary>Sorts and checks the ranges: each must lie inside the buffer and none may overlap another.</summary>
    /// <param name="parameterCount">Length of the flat parameter buffer.</param>
    /// <param name="decayed">The ranges that decay, in any order.</param>
    public DecayMask(int parameterCount, IEnumerable<ParameterRange> decayed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        _decayed = decayed.Where(r => r.Length > 0).OrderBy(r => r.Offset).ToArray();
        for (var i = 0; i < _decayed.Length; i++)
        {
            var range = _decayed[i];
            if (range.Offset < 0 || range.End > parameterCount)
            {
                throw new ArgumentException($"Decay range [{range.Offset}, {range.End}) lies outside the {parameterCount} parameters.", nameof(decayed));
            }

            if (i > 0 && range.Offset < _decayed[i - 1].End)
            {
                throw new ArgumentException($"Decay ranges [{_decayed[i - 1].Offset}, {_decayed[i - 1].End}) and [{range.Offset}, {range.End}) overlap.", nameof(decayed));
            }
        }

        ParameterCount = parameterCount;
    }

    /// <summary>Length of the parameter buffer this mask describes.</summary>
    public int ParameterCount { get; }

    /// <summary>The decayed ranges, sorted by offset and disjoint.</summary>
    public ReadOnlySpan<ParameterRange> Decayed => _decayed;

    /// <summary>Whether element <paramref name="index"/> decays (a binary search; the reference loop's view).</summary>
    public bool Decays(int index)
    {
        var i = FirstEndingAfter(index);
        return i < _decayed.Length && _decayed[i].Offset <= index;
    }

    /// <summary>Index of the first decayed range whose end lies beyond <paramref name="index"/> (the length if none).</summary>
    internal int FirstEndingAfter(int index)
    {
        int lo = 0, hi = _decayed.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_decayed[mid].End > index)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }
}
