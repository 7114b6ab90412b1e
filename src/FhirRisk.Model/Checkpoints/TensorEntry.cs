namespace FhirRisk.Model.Checkpoints;

/// <summary>One tensor as a safetensors header describes it.</summary>
/// <param name="Name">The key in the header, e.g. <c>transformer.h.0.attn.c_attn.weight</c>.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions, outermost first; empty for a scalar, a zero anywhere for an empty tensor.</param>
/// <param name="Begin">First byte, counted from the start of the data buffer (the byte after the header).</param>
/// <param name="End">One past the last byte, counted like <paramref name="Begin"/>.</param>
public sealed record TensorEntry(string Name, SafeTensorsDType DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>Number of elements: the product of the dimensions (1 for a scalar).</summary>
    public long ElementCount => CountElements(Shape);

    /// <summary>Bytes of data, <c>End − Begin</c>.</summary>
    public long ByteLength => End - Begin;

    /// <summary>The shape as PyTorch prints it, e.g. <c>[768, 3072]</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>Product of <paramref name="shape"/>; throws <see cref="OverflowException"/> rather than wrapping.</summary>
    internal static long CountElements(IReadOnlyList<long> shape)
    {
        var count = 1L;
        foreach (var dimension in shape)
            count = checked(count * dimension);
        return count;
    }

    internal static string FormatShape(IReadOnlyList<long> shape) => $"[{string.Join(", ", shape)}]";
}
