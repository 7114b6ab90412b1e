namespace FhirRisk.Model.Checkpoints;

/// <summary>
/// A float32 tensor under its PyTorch name, as a view of the caller's memory (usually a slice of a flat parameter
/// buffer). Saving reads <see cref="Data"/>; loading checks the file against <see cref="Shape"/> and fills it.
/// </summary>
/// <param name="Name">PyTorch state-dict key, e.g. <c>transformer.h.0.mlp.c_fc.weight</c>.</param>
/// <param name="Shape">Dimensions, outermost first, as PyTorch's <c>tensor.shape</c>.</param>
/// <param name="Data">Row-major elements; exactly the product of <paramref name="Shape"/> of them.</param>
public sealed record NamedTensor(string Name, IReadOnlyList<long> Shape, Memory<float> Data)
{
    /// <summary>The shape as PyTorch prints it, e.g. <c>[768, 3072]</c>.</summary>
    public string ShapeText => TensorEntry.FormatShape(Shape);
}
