using FhirRisk.Model.Cpu;

namespace FhirRisk.Model.Gpt;

/// <summary>One named tensor of the flat parameter buffer: its PyTorch state-dict key, its shape and where it lies.</summary>
/// <param name="Name">PyTorch name, e.g. <c>transformer.h.0.attn.c_attn.weight</c> (the safetensors key).</param>
/// <param name="Shape">Dimensions, outermost first, as PyTorch's <c>tensor.shape</c>.</param>
/// <param name="Range">Offset and length in the flat buffer (the length is the product of the shape).</param>
public sealed record ParameterTensor(string Name, IReadOnlyList<int> Shape, ParameterRange Range)
{
    /// <summary>Whether AdamW decays this tensor: nanoGPT's rule, every parameter with at least two dimensions (the
    /// matrices and embeddings) and none of the LayerNorm vectors.</summary>
    public bool Decays => Shape.Count >= 2;
}
