namespace FhirRisk.Model.Cpu;

/// <summary>A contiguous slice [<see cref="Offset"/>, <see cref="End"/>) of a flat parameter or gradient buffer.</summary>
/// <param name="Offset">First element, in floats from the start of the buffer.</param>
/// <param name="Length">Number of elements.</param>
public readonly record struct ParameterRange(int Offset, int Length)
{
    /// <summary>One past the last element.</summary>
    public int End => Offset + Length;
}
